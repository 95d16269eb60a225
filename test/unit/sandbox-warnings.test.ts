/**
 * The sandbox API server's Warning headers as kube-apiserver's warning recorder writes them (k8s.io/apiserver
 * v0.34.4 pkg/endpoints/filters/warning.go:39-140; the HTTP side: test/integration/crd-semantics-differential).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { warningHeaders } from '../../src/sandbox/apiserver/http.js';

describe('sandbox Warning headers', () => {
  it('each text once, in order, escaped; a text with a control character is dropped', () => {
    assert.deepEqual(warningHeaders(['a "b"', 'c\\d', 'a "b"', '', 'bad\nline']), ['299 - "a \\"b\\""', '299 - "c\\\\d"']);
  });

  it('past 4096 runes in all every text is cut to 256 runes and the headers restart; texts stop once 4096 are written again', () => {
    const long = 'é'.repeat(1000);
    const texts = [long, ...Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(248)}`)];
    const headers = warningHeaders(texts);
    // 1000 + 250 × 12 = 4000 fit; the 13th passes 4096: all replayed cut (256 + 13 × 250 = 3506), then 3 more
    // (4256 ≥ 4096: the rest are dropped).
    assert.equal(headers.length, 1 + 16);
    assert.equal(headers[0], `299 - "${'é'.repeat(256)}"`.replace(/é/g, Buffer.from('é', 'utf8').toString('latin1')));
    assert.equal(headers[16], `299 - "15${'x'.repeat(248)}"`);
  });

  it('under the limit nothing is cut', () => {
    const texts = Array.from({ length: 8 }, (_, i) => `${i}${'y'.repeat(499)}`);
    assert.deepEqual(
      warningHeaders(texts),
      texts.map((t) => `299 - "${t}"`),
    );
  });
});
