/**
 * Settings from env + CLI flags (flag wins), validated once with zod. Each invalid value becomes a
 * ConfigError whose one-line message names the variable, its flag and the fix.
 */
import { z } from 'zod';
import type { Settings } from './types.js';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';
import { type ConfigKey, type RawConfig, variableFor } from './variables.js';

/** Where the kubeconfig comes from, before it is loaded. The value is never logged. */
export type KubeconfigSourceSpec =
  | { kind: 'path'; value: string }
  | { kind: 'b64'; value: string }
  | { kind: 'text'; value: string }
  | { kind: 'in-cluster' }
  | { kind: 'sandbox' };

export interface ParsedConfig {
  /** Everything but the kubeconfig-derived parts (kubeconfigSource is filled from `kubeconfig.kind`). */
  settings: Settings;
  kubeconfig: KubeconfigSourceSpec;
  /** Held only by the auth gate; never logged. */
  devBearerToken: string | undefined;
}

function label(key: ConfigKey): string {
  const v = variableFor(key);
  return `${v.env} (${v.flag})`;
}

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };

/** Parses host:port; IPv6 hosts in brackets. */
export function parseListenAddr(value: string): { host: string; port: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value.trim());
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port > 65535) return undefined;
  const host = match[1]!.startsWith('[') ? match[1]!.slice(1, -1) : match[1]!;
  return { host, port };
}

/** A boolean variable (true/false, 1/0, yes/no); undefined when unset. */
function booleanVariable() {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const parsed = BOOLEAN_WORDS[value.toLowerCase()];
      if (parsed !== undefined) return parsed;
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a boolean; use true or false` });
      return z.NEVER;
    });
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A Go-style duration ("10s", "15m") of at least `minMs`, as milliseconds. */
function duration(defaultValue: string, minMs: number) {
  return z
    .string()
    .default(defaultValue)
    .transform((value, ctx) => {
      try {
        const ms = parseDuration(value, 'value');
        if (ms >= minMs) return ms;
      } catch {
        // reported below
      }
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is not a duration of at least ${minMs / 1000}s; write it like "10s", "15m" or "1h"`,
      });
      return z.NEVER;
    });
}

const rawSchema = z.object({
  kubeconfigPath: z.string().optional(),
  kubeconfigB64: z.string().optional(),
  kubeconfigText: z.string().optional(),
  context: z.string().optional(),
  namespaceFilter: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      try {
        return new RegExp(value);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `is not a valid regular expression (${(error as Error).message}); use a JavaScript regex such as ^team-`,
        });
        return z.NEVER;
      }
    }),
  authMode: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return 'DEV_ALLOW_ANY' as const;
      if (value === 'DEV_ALLOW_ANY' || value === 'OIDC_REQUIRED') return value;
      ctx.addIssue({ code: 'custom', message: `"${value}" is not an auth mode; use DEV_ALLOW_ANY or OIDC_REQUIRED` });
      return z.NEVER;
    }),
  devBearerToken: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^[A-Za-z0-9\-._~+/]+=*$/.test(v), {
      message: 'must be a bearer token (letters, digits and -._~+/ only); generate one with: openssl rand -hex 32',
    }),
  globalNamespace: z
    .string()
    .default('kcm-system')
    .refine((v) => NAMESPACE.test(v), { message: 'must be a DNS-1123 label (a namespace name such as kcm-system)' }),
  defaultNamespaceDev: z
    .string()
    .default('kcm-system')
    .refine((v) => NAMESPACE.test(v), { message: 'must be a DNS-1123 label (a namespace name such as kcm-system)' }),
  deployFieldOwner: z
    .string()
    .default('mcp.clusters')
    .refine((v) => v.length <= 128 && !/\s/.test(v), { message: 'must be a field manager name without spaces (at most 128 characters)' }),
  servicesFieldOwner: z
    .string()
    .default('mcp.services')
    .refine((v) => v.length <= 128 && !/\s/.test(v), { message: 'must be a field manager name without spaces (at most 128 characters)' }),
  listenAddr: z
    .string()
    .default('127.0.0.1:6767')
    .transform((value, ctx) => {
      const parsed = parseListenAddr(value);
      if (parsed) return parsed;
      ctx.addIssue({ code: 'custom', message: `"${value}" is not host:port; use e.g. 127.0.0.1:6767 or 0.0.0.0:6767` });
      return z.NEVER;
    }),
  logLevel: z
    .enum(['debug', 'info', 'warn', 'error'], {
      error: (issue) => `"${String(issue.input)}" is not a log level; use debug, info, warn or error`,
    })
    .default('info'),
  readOnly: booleanVariable().transform((value) => value ?? false),
  toolNameStyle: z
    .enum(['dotted', 'snake'], {
      error: (issue) => `"${String(issue.input)}" is not a tool name style; use dotted or snake`,
    })
    .default('dotted'),
  oidcIssuerUrl: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), {
      message: 'must be the issuer URL, e.g. https://issuer.example.com/realms/k0rdent',
    }),
  oidcAudience: z.string().optional(),
  confirmDestructive: z
    .enum(['auto', 'never'], {
      error: (issue) => `"${String(issue.input)}" is not a confirmation mode; use auto or never`,
    })
    .default('auto'),
  progressInterval: duration('10s', 1000),
  sessionIdleTimeout: duration('15m', 1000),
  sessionLimitPerCaller: z
    .string()
    .default('100')
    .transform((value, ctx) => {
      if (/^\d+$/.test(value.trim()) && Number(value) >= 1) return Number(value);
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a positive whole number; use e.g. 100` });
      return z.NEVER;
    }),
  httpRequestTimeout: duration('30s', 1000),
  httpHeadersTimeout: duration('20s', 1000),
  httpMaxConnections: z
    .string()
    .default('1024')
    .transform((value, ctx) => {
      if (/^\d+$/.test(value.trim()) && Number(value) >= 1) return Number(value);
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a positive whole number; use e.g. 1024` });
      return z.NEVER;
    }),
  // Unset stays undefined: the service account is then detected (K0RDENT_MGMT_IN_CLUSTER).
  inCluster: booleanVariable(),
  catalogIndexUrl: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), {
      message: 'must be an http(s) URL of a catalog index.json, e.g. https://catalog.k0rdent.io/latest/index.json',
    }),
  catalogCacheDir: z.string().optional(),
  catalogMirrors: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return [];
      const mirrors: { from: string; to: string }[] = [];
      for (const pair of value
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '')) {
        const [from, to, extra] = pair.split('=').map((p) => p.trim().replace(/\/+$/, ''));
        const oci = (url: string | undefined): boolean => url !== undefined && /^oci:\/\/[^\s/]+(\/[^\s]*)?$/.test(url);
        if (extra !== undefined || !oci(from) || !oci(to)) {
          ctx.addIssue({
            code: 'custom',
            message: `entry "${pair.slice(0, 200)}" is not <from>=<to> with two oci:// repository URLs; write it like oci://ghcr.io/k0rdent/catalog/charts=oci://registry.local/k0rdent-catalog`,
          });
          return z.NEVER;
        }
        mirrors.push({ from: from!, to: to! });
      }
      return mirrors;
    }),
  catalogMaxAgeDays: z
    .string()
    .default('180')
    .transform((value, ctx) => {
      if (/^\d+$/.test(value.trim()) && Number(value) >= 1) return Number(value);
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a positive whole number of days; use e.g. 180` });
      return z.NEVER;
    }),
});

/** Validates raw values; throws ConfigError (first problem only, one line). */
export function parseConfig(raw: RawConfig, options: { sandbox: boolean; serviceAccountPresent?: boolean }): ParsedConfig {
  const result = rawSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = String(issue.path[0]) as ConfigKey;
    throw new ConfigError(variableFor(key).env, `${label(key)} ${issue.message}`);
  }
  const values = result.data;

  const sources = (['kubeconfigPath', 'kubeconfigB64', 'kubeconfigText'] as const).filter((k) => values[k] !== undefined);
  if (sources.length > 1) {
    const names = sources.map((k) => variableFor(k).env);
    throw new ConfigError(
      names[0]!,
      `${names.join(' and ')} are both set; set exactly one kubeconfig source (K0RDENT_MGMT_KUBECONFIG_PATH, _B64 or _TEXT)`,
    );
  }
  if (values.inCluster === true && (options.sandbox || sources.length === 1)) {
    const other = options.sandbox ? '--sandbox' : label(sources[0]!);
    throw new ConfigError(
      'K0RDENT_MGMT_IN_CLUSTER',
      `${label('inCluster')} is true together with ${other}; use the service account, a kubeconfig or --sandbox, only one`,
    );
  }
  let kubeconfig: KubeconfigSourceSpec;
  if (options.sandbox) {
    if (sources.length === 1) {
      throw new ConfigError(
        variableFor(sources[0]!).env,
        `${label(sources[0]!)} is set together with --sandbox; use either a kubeconfig or --sandbox, not both`,
      );
    }
    kubeconfig = { kind: 'sandbox' };
  } else if (values.kubeconfigPath !== undefined) {
    kubeconfig = { kind: 'path', value: values.kubeconfigPath };
  } else if (values.kubeconfigB64 !== undefined) {
    kubeconfig = { kind: 'b64', value: values.kubeconfigB64 };
  } else if (values.kubeconfigText !== undefined) {
    kubeconfig = { kind: 'text', value: values.kubeconfigText };
  } else if (values.inCluster === true || (values.inCluster === undefined && options.serviceAccountPresent === true)) {
    // In a pod without a kubeconfig, the pod's service account, as client-go's in-cluster config.
    kubeconfig = { kind: 'in-cluster' };
    if (values.context !== undefined) {
      throw new ConfigError(
        'K0RDENT_MGMT_CONTEXT',
        `${label('context')} picks a context of a kubeconfig, and the in-cluster config has none; unset it, or give a kubeconfig (K0RDENT_MGMT_KUBECONFIG_PATH)`,
      );
    }
  } else {
    throw new ConfigError(
      'K0RDENT_MGMT_KUBECONFIG_PATH',
      'no management cluster configured; set K0RDENT_MGMT_KUBECONFIG_PATH (or _B64 / _TEXT, or --kubeconfig-path) to a kubeconfig, run in a pod with a service account (K0RDENT_MGMT_IN_CLUSTER), or pass --sandbox to run against the embedded sandbox',
    );
  }

  if ((values.oidcIssuerUrl !== undefined || values.oidcAudience !== undefined) && values.authMode !== 'OIDC_REQUIRED') {
    const key = values.oidcIssuerUrl !== undefined ? 'oidcIssuerUrl' : 'oidcAudience';
    throw new ConfigError(
      variableFor(key).env,
      `${label(key)} only applies with AUTH_MODE=OIDC_REQUIRED; set AUTH_MODE=OIDC_REQUIRED or unset it`,
    );
  }
  if (values.oidcAudience !== undefined && values.oidcIssuerUrl === undefined) {
    throw new ConfigError(
      'OIDC_AUDIENCE',
      `${label('oidcAudience')} needs OIDC_ISSUER_URL; set OIDC_ISSUER_URL (--oidc-issuer-url) too, or unset it`,
    );
  }

  const settings: Settings = {
    kubeconfigSource: kubeconfig.kind,
    kubeContext: values.context,
    namespaceFilter: values.namespaceFilter,
    authMode: values.authMode,
    devBearerTokenSet: values.devBearerToken !== undefined,
    globalNamespace: values.globalNamespace,
    defaultNamespaceDev: values.defaultNamespaceDev,
    deployFieldOwner: values.deployFieldOwner,
    servicesFieldOwner: values.servicesFieldOwner,
    listenAddr: values.listenAddr,
    logLevel: values.logLevel,
    readOnly: values.readOnly,
    toolNameStyle: values.toolNameStyle,
    oidcIssuerUrl: values.oidcIssuerUrl,
    oidcAudience: values.oidcAudience,
    confirmDestructive: values.confirmDestructive,
    progressIntervalMs: values.progressInterval,
    sessionIdleTimeoutMs: values.sessionIdleTimeout,
    sessionLimitPerCaller: values.sessionLimitPerCaller,
    httpRequestTimeoutMs: values.httpRequestTimeout,
    httpHeadersTimeoutMs: values.httpHeadersTimeout,
    httpMaxConnections: values.httpMaxConnections,
  };
  // Only when one is set: absent means the catalog's defaults (src/catalog/source.ts).
  if ((['catalogIndexUrl', 'catalogCacheDir', 'catalogMirrors', 'catalogMaxAgeDays'] as const).some((k) => raw[k] !== undefined)) {
    settings.catalog = {
      indexUrl: values.catalogIndexUrl,
      cacheDir: values.catalogCacheDir,
      mirrors: values.catalogMirrors,
      maxAgeDays: values.catalogMaxAgeDays,
    };
  }
  if (settings.httpHeadersTimeoutMs > settings.httpRequestTimeoutMs) {
    throw new ConfigError(
      'HTTP_HEADERS_TIMEOUT',
      `HTTP_HEADERS_TIMEOUT (--http-headers-timeout) must not exceed HTTP_REQUEST_TIMEOUT (${settings.httpRequestTimeoutMs} ms)`,
    );
  }
  return { settings, kubeconfig, devBearerToken: values.devBearerToken };
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** serve-only rule: DEV_ALLOW_ANY on a non-loopback address needs DEV_BEARER_TOKEN. */
export function checkServeExposure(settings: Settings): void {
  if (settings.authMode === 'DEV_ALLOW_ANY' && !settings.devBearerTokenSet && !isLoopbackHost(settings.listenAddr.host)) {
    throw new ConfigError(
      'LISTEN_ADDR',
      `LISTEN_ADDR (--listen-addr) ${settings.listenAddr.host} is not a loopback address and AUTH_MODE is DEV_ALLOW_ANY without DEV_BEARER_TOKEN; set DEV_BEARER_TOKEN, use AUTH_MODE=OIDC_REQUIRED, or listen on 127.0.0.1`,
    );
  }
}

/** The startup summary: the effective configuration without any secret. */
export function summarizeSettings(settings: Settings): Record<string, unknown> {
  return {
    kubeconfigSource: settings.kubeconfigSource,
    kubeContext: settings.kubeContext ?? '(current-context)',
    namespaceFilter: settings.namespaceFilter?.source ?? null,
    authMode: settings.authMode,
    devBearerTokenSet: settings.devBearerTokenSet,
    globalNamespace: settings.globalNamespace,
    defaultNamespaceDev: settings.defaultNamespaceDev,
    deployFieldOwner: settings.deployFieldOwner,
    servicesFieldOwner: settings.servicesFieldOwner,
    listenAddr: `${settings.listenAddr.host}:${settings.listenAddr.port}`,
    logLevel: settings.logLevel,
    readOnly: settings.readOnly,
    toolNameStyle: settings.toolNameStyle,
    oidcIssuerUrl: settings.oidcIssuerUrl ?? null,
    oidcAudience: settings.oidcAudience ?? null,
    confirmDestructive: settings.confirmDestructive,
    progressIntervalMs: settings.progressIntervalMs,
    sessionIdleTimeoutMs: settings.sessionIdleTimeoutMs,
    sessionLimitPerCaller: settings.sessionLimitPerCaller,
    httpRequestTimeoutMs: settings.httpRequestTimeoutMs,
    httpHeadersTimeoutMs: settings.httpHeadersTimeoutMs,
    httpMaxConnections: settings.httpMaxConnections,
    ...(settings.catalog
      ? {
          catalogIndexUrl: settings.catalog.indexUrl ?? null,
          catalogMirrors: settings.catalog.mirrors.map((m) => `${m.from}=${m.to}`),
          catalogMaxAgeDays: settings.catalog.maxAgeDays,
        }
      : {}),
  };
}
