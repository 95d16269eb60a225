/**
 * The answers to `initialize`, `tools/list`, `prompts/list` and `resources/templates/list` (what VS Code asks
 * right after initialize, with resources/list, which needs the cluster), computed at build time (scripts/start-answers.mjs, from
 * ./start-answers.ts) for the default settings in each READ_ONLY / TOOL_NAME_STYLE variant and kept beside this
 * module as start-answers.json. The stdio front (./stdio-front.ts) answers from them while the server loads.
 * Light on purpose: node:fs only.
 *
 * The key holds every setting that changes either answer (descriptions name the global namespace and the services
 * field owner; READ_ONLY hides tools; the style renames them). test/integration/stdio-front.test.ts changes each
 * other setting and checks that the answers do not move, so a description that starts to depend on one fails there.
 */
import { readFileSync } from 'node:fs';
import type { Settings } from '../config/types.js';

export const START_ANSWERS_FILE = new URL('./start-answers.json', import.meta.url);

/** One settings variant's answers: the `result` of each response, as the server sends it. */
export interface StartAnswers {
  /** initialize's result for LATEST; protocolVersion is negotiated per request (`protocol`). */
  initialize: Record<string, unknown>;
  toolsList: Record<string, unknown>;
  /** The prompts and the resource templates: static, like the tools (their texts name tools in the session's style). */
  promptsList: Record<string, unknown>;
  resourceTemplatesList: Record<string, unknown>;
}

export interface StartAnswersFile {
  /** The SDK's protocol versions, to negotiate as its Server does (server/index.js _oninitialize). */
  protocol: { latest: string; supported: string[] };
  answers: Record<string, StartAnswers>;
}

/** The settings the answers depend on, and the package version they were built with. */
export function startAnswersKey(settings: Settings, version: string): string {
  return JSON.stringify([version, settings.readOnly, settings.toolNameStyle, settings.globalNamespace, settings.servicesFieldOwner]);
}

/** The answers for these settings, or undefined (no file: a build without scripts/start-answers.mjs; another variant). */
export function cachedStartAnswers(
  settings: Settings,
  version: string,
): { protocol: StartAnswersFile['protocol']; answers: StartAnswers } | undefined {
  let file: StartAnswersFile;
  try {
    file = JSON.parse(readFileSync(START_ANSWERS_FILE, 'utf8')) as StartAnswersFile;
  } catch {
    return undefined;
  }
  const answers = file.answers?.[startAnswersKey(settings, version)];
  return answers === undefined ? undefined : { protocol: file.protocol, answers };
}
