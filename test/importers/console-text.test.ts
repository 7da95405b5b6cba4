// Console text (Format-List, tables, mixed) at the PsRecord level: every fixture and every
// console-text sample of the real corpus against a golden file, the same text as CRLF and
// UTF-16LE, and the quirks one by one. UPDATE_GOLDEN=1 rewrites the golden files.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSource, makeSourceText } from '../../src/source.js';
import { looksLikeConsoleText, parseConsoleText } from '../../src/importers/console-text.js';
import { joinFragments } from '../../src/importers/format-list.js';
import { splitRow } from '../../src/importers/table.js';
import type { Parsed, PsRecord } from '../../src/importers/types.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(REPO, 'fixtures/importers/console-text');
const CORPUS = resolve(REPO, '../shared/corpus/real');
const CORPUS_GOLDEN = join(FIXTURES, 'corpus');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface Golden {
  records: { source: { file: string; line: number | null }; typeNames: string[]; props: Record<string, unknown>; propLines: Record<string, number> }[];
  warnings: { file: string; line: number | null; message: string }[];
}

function toGolden(parsed: Parsed<PsRecord[]>): Golden {
  return {
    records: parsed.value.map((r) => ({
      source: r.source,
      typeNames: r.typeNames,
      props: Object.fromEntries(r.props),
      propLines: Object.fromEntries(r.propLines ?? new Map<string, number>()),
    })),
    warnings: parsed.warnings,
  };
}

function parseText(name: string, text: string): Parsed<PsRecord[]> {
  return parseConsoleText(makeSourceText(name, text));
}

function checkGolden(goldenPath: string, actual: Golden): void {
  const json = `${JSON.stringify(actual, null, 2)}\n`;
  if (UPDATE || !existsSync(goldenPath)) {
    if (!UPDATE) assert.fail(`missing golden ${goldenPath} (run with UPDATE_GOLDEN=1 and review it)`);
    writeFileSync(goldenPath, json);
    return;
  }
  assert.deepEqual(actual, JSON.parse(readFileSync(goldenPath, 'utf8')) as Golden);
}

/** The same text as Windows writes it: CRLF line ends, and `>`/Out-File's UTF-16LE with BOM. */
function windowsVariants(text: string): { label: string; bytes: Uint8Array }[] {
  const crlf = text.replace(/\n/g, '\r\n');
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(crlf, 'utf16le')]);
  return [
    { label: 'CRLF', bytes: Buffer.from(crlf, 'utf8') },
    { label: 'UTF-16LE with BOM and CRLF', bytes: utf16 },
  ];
}

function checkVariants(name: string, text: string): void {
  const expected = toGolden(parseText(name, text));
  for (const v of windowsVariants(text)) {
    assert.deepEqual(toGolden(parseConsoleText(decodeSource(name, v.bytes))), expected, `${name} as ${v.label}`);
  }
}

const fixtureNames = readdirSync(FIXTURES).filter((f) => f.endsWith('.txt')).sort();

describe('console text fixtures (golden records)', () => {
  for (const file of fixtureNames) {
    it(file, () => {
      const name = `fixtures/importers/console-text/${file}`;
      const source = decodeSource(name, readFileSync(join(FIXTURES, file)));
      checkGolden(join(FIXTURES, file.replace(/\.txt$/, '.records.json')), toGolden(parseConsoleText(source)));
      checkVariants(name, source.text);
    });
  }
});

describe('real corpus console-text samples (golden records)', () => {
  const available = existsSync(CORPUS);
  const samples = available ? readdirSync(CORPUS).filter((f) => f.endsWith('.txt')).sort() : [];
  it('the corpus is there', (t) => {
    if (!available) {
      if (process.env.CI === 'true') assert.fail(`corpus not found at ${CORPUS}`);
      t.skip(`corpus not found at ${CORPUS}`);
      return;
    }
    assert.ok(samples.length >= 20, `expected the corpus' console-text samples, found ${samples.length}`);
  });
  if (!available) return;
  it('looksLikeConsoleText says yes to every console sample and no to CLIXML, CSV and protocol logs', () => {
    for (const file of readdirSync(CORPUS).filter((f) => /\.(txt|xml|csv|log)$/.test(f))) {
      const text = decodeSource(file, readFileSync(join(CORPUS, file))).text;
      assert.equal(looksLikeConsoleText(text), file.endsWith('.txt'), file);
    }
  });
  mkdirSync(CORPUS_GOLDEN, { recursive: true });
  for (const file of samples) {
    it(file, () => {
      const bytes = readFileSync(join(CORPUS, file));
      const source = decodeSource(`corpus/${file}`, bytes);
      checkGolden(join(CORPUS_GOLDEN, file.replace(/\.txt$/, '.records.json')), toGolden(parseConsoleText(source)));
      checkVariants(`corpus/${file}`, source.text);
    });
  }
});

function props(parsed: Parsed<PsRecord[]>, index: number): Record<string, unknown> {
  const rec = parsed.value[index];
  assert.ok(rec !== undefined, `record ${index} exists (got ${parsed.value.length})`);
  return Object.fromEntries(rec.props);
}

describe('Format-List quirks', () => {
  it('joins values wrapped at the value column, including {lists} over several lines', () => {
    const p = parseText('rc.txt', [
      'Identity       : EX01\\Relay',
      'RemoteIPRanges : {192.0.2.1, 192.0.2.2,',
      '                 192.0.2.3-192.0.2.9, 2001:db8::/64}',
      'Enabled        : True',
    ].join('\n'));
    assert.equal(p.value.length, 1);
    assert.equal(props(p, 0).RemoteIPRanges, '{192.0.2.1, 192.0.2.2, 192.0.2.3-192.0.2.9, 2001:db8::/64}');
    assert.deepEqual(p.value[0]?.propLines?.get('Enabled'), 4);
  });

  it('splits records at a blank line and at a repeated property when there is none', () => {
    const p = parseText('x.txt', 'Name : A\nFqdn : a.example\nName : B\nFqdn : b.example\n\nName : C\n');
    assert.deepEqual(p.value.map((r) => r.props.get('Name')), ['A', 'B', 'C']);
    assert.deepEqual(p.value.map((r) => r.source.line), [1, 3, 6]);
  });

  it('keeps the items of a list cut by $FormatEnumerationLimit and warns naming connector and property', () => {
    const p = parseText('rc.txt', 'RemoteIPRanges : {10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4...}\nIdentity       : EX01\\Printers\n');
    assert.equal(props(p, 0).RemoteIPRanges, '{10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4}');
    assert.equal(p.warnings.length, 1);
    assert.match(p.warnings[0]?.message ?? '', /RemoteIPRanges of "EX01\\Printers"/);
    assert.equal(p.warnings[0]?.line, 1);
  });

  it('undoes markdown damage: double spacing, trailing blanks, **bold**, "# " and one-space prefixes', () => {
    const p = parseText('md.txt', ' # Identity : **EX01\\Relay**  \n  \n # Enabled : True  \n\n # Secret : ********\n');
    assert.deepEqual(props(p, 0), { Identity: 'EX01\\Relay', Enabled: 'True', Secret: '********' });
  });

  it('ignores prompts, commands, <# #> markers and prose between records', () => {
    const p = parseText('mixed.txt', [
      '[PS] C:\\Windows\\system32>Get-ReceiveConnector | fl name', '<#', 'Name : A', '#>',
      'The next one is the relay connector we care about.', 'Name : B', 'C:\\>exit',
    ].join('\n'));
    assert.deepEqual(p.value.map((r) => r.props.get('Name')), ['A', 'B']);
  });

  it('reads ideographic spaces (U+3000) as blanks', () => {
    const p = parseText('u3000.txt', '\u3000\nName\u3000\u3000: EX01\nEdition : Standard\n');
    assert.deepEqual(props(p, 0), { Name: 'EX01', Edition: 'Standard' });
  });

  it('tells a continuation that lost its indentation from prose', () => {
    assert.equal(joinFragments(['{application/vnd.openxmlformats-officedocument.pre', 'sentation, text/html}']),
      '{application/vnd.openxmlformats-officedocument.presentation, text/html}');
    assert.equal(joinFragments(['CN=Groups,CN=First Organization,CN=Microsoft', 'Exchange,CN=Services,CN=Configuration,DC=x,DC=com']),
      'CN=Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=x,DC=com');
    // An address longer than the line is cut inside the word by the console.
    assert.equal(joinFragments(['{::-ffff:ffff:ffff:ffff:ffff:ffff:ff', 'ff:ffff, 0.0.0.0-255.255.255.255}']),
      '{::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 0.0.0.0-255.255.255.255}');
    // A break after a comma is read as a list separator, even where the console cut a long DN
    // there: list items must never merge, a DN gains a blank.
    assert.equal(joinFragments(['{192.0.2.10, 192.0.2.11, 192.0.2.20-192.0.2.29,', '198.51.100.0/24}']),
      '{192.0.2.10, 192.0.2.11, 192.0.2.20-192.0.2.29, 198.51.100.0/24}');
    const p = parseText('p.txt', 'PermissionGroups : ExchangeUsers\n\nThe actual extended permissions are:\n');
    assert.deepEqual(props(p, 0), { PermissionGroups: 'ExchangeUsers' });
  });
});

describe('table quirks', () => {
  it('expands a truncated principal only when exactly one well-known principal matches', () => {
    const table = [
      'Identity             User                 Deny  Inherited',
      '--------             ----                 ----  ---------',
      'EX01\\Relay EX01      NT AUTHORITY\\ANON... False False',
      'EX01\\Relay EX01      NT AUTHORITY\\A...    False False',
      'EX01\\Relay EX01      CORP\\svc-scann...    False False',
      'EX01\\Relay EX01      NT-AUTORITÄT\\ANO... False False',
    ].join('\n');
    const p = parseText('adperm.txt', table);
    assert.deepEqual(p.value.map((r) => r.props.get('User')),
      ['NT AUTHORITY\\ANONYMOUS LOGON', 'NT AUTHORITY\\A...', 'CORP\\svc-scann...', 'NT AUTHORITY\\ANONYMOUS LOGON']);
    assert.equal(p.warnings.length, 4);
    assert.match(p.warnings[0]?.message ?? '', /read as NT AUTHORITY\\ANONYMOUS LOGON/);
    assert.match(p.warnings[1]?.message ?? '', /kept as shown/);
    assert.deepEqual(p.warnings.map((w) => w.line), [3, 4, 5, 6]);
  });

  it('keeps the complete items of a {list} cell cut by the column width', () => {
    const p = parseText('b.txt', [
      'Identity             Bindings                       Enabled',
      '--------             --------                       -------',
      'EX16\\Relay Many     {192.0.2.25:25, 192.0.2.26:... True',
      'EX16\\Relay One      {2001:db8::25]:25...           True',
    ].join('\n'));
    assert.deepEqual(p.value.map((r) => r.props.get('Bindings')), ['{192.0.2.25:25}', '{2001:db8::25]:25...']);
    assert.match(p.warnings[0]?.message ?? '', /only the complete items before the cut are kept: \{192\.0\.2\.25:25\}/);
    assert.match(p.warnings[1]?.message ?? '', /kept as shown/);
  });

  it('starts a new table at the next header, with or without its dash line, without a warning', () => {
    const p = parseText('two.txt', [
      'DomainName       DomainType    Default',
      '----------       ----------    -------',
      'corp.example     Authoritative True',
      'Thumbprint                               Services Subject',
      '3A1F6C2E9B0D4E5F8A7B6C5D4E3F2A1B0C9D8E7F IP.WS..  CN=mail.corp.example',
      'Name  Site',
      '----  ----',
      'EX01  Berlin',
    ].join('\n'));
    assert.deepEqual(p.value.map((r) => [...r.props.keys()].join(',')), ['DomainName,DomainType,Default', 'Thumbprint,Services,Subject', 'Name,Site']);
    assert.deepEqual(p.warnings, []);
  });

  it('splits a table without dash line whose spacing collapsed, by what each column holds', () => {
    const p = parseText('t.txt', 'Identity Bindings Enabled\nEX01\\Client Proxy EX01 {[::]:465, 0.0.0.0:465} True\n');
    assert.deepEqual(props(p, 0), { Identity: 'EX01\\Client Proxy EX01', Bindings: '{[::]:465, 0.0.0.0:465}', Enabled: 'True' });
  });

  it('prefers the split nearest the header when a row is shifted against it', () => {
    const columns = [{ name: 'Identity', start: 0 }, { name: 'User', start: 21 }, { name: 'Deny', start: 42 }, { name: 'Inherited', start: 48 }];
    assert.deepEqual(splitRow('Mailbox Database 0 EXC10\\some user    False False', columns, true),
      ['Mailbox Database 0', 'EXC10\\some user', 'False', 'False']);
  });

  it('joins -Wrap continuation lines into the cells above', () => {
    const p = parseText('w.txt', [
      'User                      ExtendedRights            Deny',
      '----                      --------------            ----',
      'MS Exchange\\Externally    {ms-Exch-SMTP-Submit,      False',
      'Secured Servers           ms-Exch-Bypass-Anti-Spam}',
      'CORP\\svc-app              {ms-Exch-SMTP-Accept-Any-R True',
      '                          ecipient}',
    ].join('\n'));
    assert.deepEqual(props(p, 0), { User: 'MS Exchange\\Externally Secured Servers', ExtendedRights: '{ms-Exch-SMTP-Submit, ms-Exch-Bypass-Anti-Spam}', Deny: 'False' });
    assert.deepEqual(props(p, 1), { User: 'CORP\\svc-app', ExtendedRights: '{ms-Exch-SMTP-Accept-Any-Recipient}', Deny: 'True' });
    assert.equal(p.value.length, 2);
  });

  it('reads a markdown rule under a heading as no table, but a one-column table as one', () => {
    assert.deepEqual(parseText('md.txt', 'Output\n---\nthe connector is below\n').value, []);
    const one = parseText('one.txt', 'Fqdn\n----\nex01.corp.example\nex02.corp.example\n');
    assert.deepEqual(one.value.map((r) => r.props.get('Fqdn')), ['ex01.corp.example', 'ex02.corp.example']);
  });

  it('returns records of other objects too (the mapper decides), and nothing for plain prose', () => {
    const other = parseText('o.txt', 'Count Name\n----- ----\n   12 EX01\\Default EX01\n');
    assert.deepEqual(props(other, 0), { Count: '12', Name: 'EX01\\Default EX01' });
    assert.deepEqual(parseText('n.txt', 'Hello,\nthe shell was closed so we could not run anything.\n').value, []);
  });
});

describe('robustness', () => {
  it('never throws and always ends on shuffled pieces of real captures', () => {
    // Deterministic: a small linear congruential generator, so a failure can be replayed.
    let seed = 20250114;
    const next = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const pool = fixtureNames.flatMap((f) => readFileSync(join(FIXTURES, f), 'utf8').split('\n'));
    pool.push('', '   ', '{', '}', '...', ' : ', '----', '-- --', '<#', '#>', '**', '\u3000', 'a : {b,', 'x'.repeat(500));
    for (let doc = 0; doc < 200; doc++) {
      const lines: string[] = [];
      const count = 1 + next(60);
      for (let k = 0; k < count; k++) {
        let line = pool[next(pool.length)] ?? '';
        if (next(5) === 0) line = line.slice(0, next(line.length + 1));
        if (next(7) === 0) line = ' '.repeat(next(12)) + line;
        lines.push(line);
      }
      const parsed = parseText(`fuzz-${doc}.txt`, lines.join('\n'));
      for (const r of parsed.value) assert.ok(r.props.size > 0 && (r.source.line ?? 0) >= 1 && (r.source.line ?? 0) <= count);
    }
  });
});

describe('looksLikeConsoleText', () => {
  const cases: [string, string, boolean][] = [
    ['Format-List', 'Identity : EX01\\Default EX01\nEnabled  : True\n', true],
    ['table with dashes', 'Name   DomainName\n----   ----------\ncorp   corp.example\n', true],
    ['known columns without dashes', '[PS] C:\\>Get-ReceiveConnector\nIdentity Bindings Enabled\nEX01\\A {0.0.0.0:25} True\n', true],
    ['headerless permission rows', 'NT AUTHORITY\\ANONYMOUS LOGON {ms-Exch-SMTP-Submit}\n', true],
    ['CLIXML', '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj RefId="0"/></Objs>', false],
    ['protocol log', '#Software: Microsoft Exchange Server\n#Fields: date-time,connector-id\n2023-01-11T16:00:04.113Z,EX01\\Default,08DAF,0,,,+,,\n', false],
    ['prose', 'Dear all,\nplease find the exports attached.\n', false],
    ['empty', '', false],
  ];
  for (const [label, text, expected] of cases) {
    it(`${label} → ${String(expected)}`, () => assert.equal(looksLikeConsoleText(text), expected));
  }
});
