/**
 * The bounds of src/errors.ts that every answer and log line goes through (issue 18 item 7), as tables:
 * what stays whole, what is cut and how the cut says what was left out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, MAX_DETAILS, MAX_MESSAGE, boundDetails, boundError, boundMessage, clip, echoList } from '../../src/errors.js';

describe('echo bounds', () => {
  it('a short message, list or value is left whole', () => {
    assert.equal(boundMessage('namespace "x" is outside the filter'), 'namespace "x" is outside the filter');
    assert.equal(echoList(['a', 'b'], 'unknown keys'), '2 unknown keys: a, b');
    assert.equal(clip('team-alpha'), 'team-alpha');
    assert.deepEqual(boundDetails({ problems: ['a'], namespace: 'x' }), { problems: ['a'], namespace: 'x' });
    const error = new AppError('invalidParams', 'short', { a: 1 });
    assert.equal(boundError(error), error, 'nothing to cut: the same error');
  });

  it('a long list names the first ones and counts the rest', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i}`);
    assert.equal(echoList(keys, 'unknown keys', 3), '5,000 unknown keys: k0, k1, k2 … and 4,997 more');
    const details = boundDetails({ unknownArguments: keys }) as { unknownArguments: string[] };
    assert.equal(details.unknownArguments.length, 21);
    assert.equal(details.unknownArguments.at(-1), '… and 4,980 more');
  });

  it('a message that embeds details.problems shortens that list in place', () => {
    const problems = Array.from({ length: 5000 }, (_, i) => `config.x${i} is not a setting; did you mean config.location?`);
    const error = boundError(new AppError('invalidParams', `config does not satisfy T: ${problems.join('; ')}`, { problems }));
    assert.ok(error.message.length <= MAX_MESSAGE, `${error.message.length}`);
    assert.match(
      error.message,
      /^config does not satisfy T: 5,000 problems: config\.x0 is not a setting; did you mean config\.location\?; config\.x1 /,
    );
    assert.match(error.message, / … and 4,9\d\d more$/);
    assert.ok(JSON.stringify(error.details).length <= MAX_DETAILS);
    assert.equal(error.code, 'invalidParams');
  });

  it('any other long text is cut and says its length', () => {
    const cut = boundMessage(`Task not found: ${'x'.repeat(3_000_000)}`);
    assert.ok(cut.length <= MAX_MESSAGE);
    assert.match(cut, /… \(3,000,016 characters\)$/);
    assert.match(clip('y'.repeat(100_000)), /^y{199}… \(100,000 characters\)$/);
  });

  it('details too large even when cut are replaced by a note', () => {
    const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, Array.from({ length: 20 }, () => 'z'.repeat(400))]));
    assert.deepEqual(Object.keys(boundDetails(wide)), ['truncated']);
  });
});
