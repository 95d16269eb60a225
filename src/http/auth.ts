/**
 * The auth gate, run before any MCP processing: parses the Authorization header, enforces
 * DEV_BEARER_TOKEN (constant-time) and OIDC_REQUIRED (+ JWT verification when an issuer is set).
 * It returns the caller's token for the session, or the HTTP answer to send instead.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Settings } from '../runtime/types.js';
import type { OidcVerifier } from './oidc.js';

export type AuthDecision =
  { ok: true; bearerToken: string | undefined } | { ok: false; status: 401 | 403 | 503; error: string; description: string };

/** RFC 6750 b64token after "Bearer " (scheme case-insensitive). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export type ParsedAuthorization = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'malformed' };

export function parseAuthorization(header: string | string[] | undefined): ParsedAuthorization {
  if (header === undefined) return { kind: 'none' };
  if (Array.isArray(header)) return { kind: 'malformed' };
  const match = BEARER.exec(header);
  return match ? { kind: 'bearer', token: match[1]! } : { kind: 'malformed' };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time equality of two secrets (hashes first, so lengths never leak). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/** A stable fingerprint of a token for ownership checks; never logged. */
export function tokenFingerprint(token: string | undefined): string {
  return token === undefined ? '' : sha256(token).toString('hex');
}

export interface AuthGateOptions {
  settings: Settings;
  devBearerToken: string | undefined;
  oidc: OidcVerifier | undefined;
}

export function createAuthGate(options: AuthGateOptions): (req: IncomingMessage) => Promise<AuthDecision> {
  const { settings, devBearerToken, oidc } = options;
  return async (req) => {
    const auth = parseAuthorization(req.headers.authorization);
    if (auth.kind === 'malformed') {
      return {
        ok: false,
        status: 401,
        error: 'invalid_request',
        description: 'malformed Authorization header; send "Authorization: Bearer <token>"',
      };
    }
    if (settings.authMode === 'OIDC_REQUIRED') {
      if (auth.kind === 'none') {
        return { ok: false, status: 401, error: 'invalid_token', description: 'a bearer token is required (AUTH_MODE=OIDC_REQUIRED)' };
      }
      if (oidc) {
        const verdict = await oidc.verify(auth.token);
        if (!verdict.ok) {
          return verdict.unavailable
            ? { ok: false, status: 503, error: 'temporarily_unavailable', description: verdict.reason }
            : { ok: false, status: 401, error: 'invalid_token', description: verdict.reason };
        }
      }
      return { ok: true, bearerToken: auth.token };
    }
    if (devBearerToken !== undefined) {
      if (auth.kind === 'none' || !secretsEqual(auth.token, devBearerToken)) {
        return { ok: false, status: 401, error: 'invalid_token', description: 'this server requires its DEV_BEARER_TOKEN as bearer token' };
      }
    }
    return { ok: true, bearerToken: auth.kind === 'bearer' ? auth.token : undefined };
  };
}
