// Writes dist/src/cli/start-answers.json: the server's answers to `initialize` and `tools/list` for the default
// settings in each READ_ONLY × TOOL_NAME_STYLE variant, computed by asking a real server (src/cli/start-answers.ts).
// The stdio front answers from it while the server loads (src/cli/stdio-front.ts). Part of `npm run build`.
import { writeFileSync } from 'node:fs';

const { computeStartAnswers, PROTOCOL } = await import('../dist/src/cli/start-answers.js');
const { START_ANSWERS_FILE, startAnswersKey } = await import('../dist/src/cli/start-cache.js');
const { parseConfig } = await import('../dist/src/config/settings.js');
const { packageVersion } = await import('../dist/src/config/package.js');

const defaults = parseConfig({}, { sandbox: true }).settings;
const answers = {};
for (const readOnly of [false, true]) {
  for (const toolNameStyle of ['dotted', 'snake']) {
    const settings = { ...defaults, readOnly, toolNameStyle };
    answers[startAnswersKey(settings, packageVersion())] = await computeStartAnswers(settings);
  }
}
writeFileSync(START_ANSWERS_FILE, `${JSON.stringify({ protocol: PROTOCOL, answers })}\n`);
process.stderr.write(`start answers for ${Object.keys(answers).length} settings variants written to ${START_ANSWERS_FILE.pathname}\n`);
// prom-client's default metrics keep timers; nothing else is pending.
process.exit(0);
