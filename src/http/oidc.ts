/**
 * OIDC bearer verification with jose: the issuer's discovery document gives `jwks_uri`; tokens are
 * checked for signature, issuer, audience and expiry before the server uses them.
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';

export type OidcVerdict = { ok: true; subject: string | undefined } | { ok: false; unavailable: boolean; reason: string };

export interface OidcVerifier {
  readonly issuer: string;
  verify(token: string): Promise<OidcVerdict>;
}

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
    if (typeof doc.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
    return {
      issuer: typeof doc.issuer === 'string' ? doc.issuer : issuerUrl,
      jwks: createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: timeoutMs }),
    };
  }

  return {
    issuer: issuerUrl,
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
