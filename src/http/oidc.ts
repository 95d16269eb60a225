/**
 * OIDC bearer verification with jose: the issuer's discovery document gives `jwks_uri`; tokens are
 * checked for signature, issuer, audience and expiry (a token without `exp` is refused) before the server
 * uses them. The discovery document's `issuer` must be the configured OIDC_ISSUER_URL (OpenID Connect
 * Discovery 1.0 section 4.3): a document naming another issuer is never trusted, and `serve` refuses to
 * start on it (`checkDiscovery`).
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';

export type OidcVerdict = { ok: true; subject: string | undefined } | { ok: false; unavailable: boolean; reason: string };

export type DiscoveryCheck = { ok: true } | { ok: false; mismatch: boolean; reason: string };

export interface OidcVerifier {
  readonly issuer: string;
  verify(token: string): Promise<OidcVerdict>;
  /** Reads the discovery document now: `mismatch` when it names another issuer than OIDC_ISSUER_URL. */
  checkDiscovery(): Promise<DiscoveryCheck>;
}

class IssuerMismatch extends Error {}

const normalized = (url: string): string => url.replace(/\/+$/, '');

interface Discovery {
  issuer: string;
  jwks: JWTVerifyGetKey;
}

export function createOidcVerifier(issuerUrl: string, audience: string | undefined, timeoutMs = 5000): OidcVerifier {
  const issuer = issuerUrl.replace(/\/+$/, '');
  let discovery: Promise<Discovery> | undefined;

  async function discover(): Promise<Discovery> {
    const response = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`discovery answered HTTP ${response.status}`);
    const doc = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (typeof doc.issuer !== 'string' || normalized(doc.issuer) !== issuer) {
      throw new IssuerMismatch(
        `the discovery document at ${issuer}/.well-known/openid-configuration names issuer ${JSON.stringify(typeof doc.issuer === 'string' ? doc.issuer.slice(0, 200) : (doc.issuer ?? null))}, not OIDC_ISSUER_URL ${JSON.stringify(issuerUrl)}; set OIDC_ISSUER_URL to the issuer the provider names, or fix the provider`,
      );
    }
    if (typeof doc.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
    return {
      issuer: doc.issuer,
      jwks: createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: timeoutMs }),
    };
  }

  return {
    issuer: issuerUrl,
    async checkDiscovery() {
      try {
        discovery ??= discover();
        await discovery;
        return { ok: true };
      } catch (error) {
        discovery = undefined;
        return { ok: false, mismatch: error instanceof IssuerMismatch, reason: (error as Error).message };
      }
    },
    async verify(token) {
      let found: Discovery;
      try {
        discovery ??= discover();
        found = await discovery;
      } catch (error) {
        discovery = undefined; // retry discovery on the next request
        return { ok: false, unavailable: true, reason: `cannot reach the OIDC issuer to verify the token (${(error as Error).message})` };
      }
      try {
        const { payload } = await jwtVerify(token, found.jwks, {
          issuer: found.issuer,
          // Without exp a token never expires; jose only checks exp when present.
          requiredClaims: ['exp'],
          ...(audience !== undefined ? { audience } : {}),
        });
        return { ok: true, subject: payload.sub };
      } catch (error) {
        if (error instanceof joseErrors.JWKSTimeout) {
          return { ok: false, unavailable: true, reason: 'timed out fetching the OIDC issuer keys' };
        }
        const code = (error as { code?: string }).code ?? 'ERR_JWT_INVALID';
        return { ok: false, unavailable: false, reason: `bearer token rejected (${code}); obtain a fresh token from ${issuerUrl}` };
      }
    },
  };
}
