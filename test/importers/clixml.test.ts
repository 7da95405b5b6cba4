import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClixml } from '../../src/importers/clixml.js';
import { detectKind } from '../../src/importers/detect.js';
import { importSources } from '../../src/importers/index.js';
import { InputError } from '../../src/errors.js';
import { makeSourceText } from '../../src/source.js';
import { REPO_ROOT } from '../helpers/cli.js';

const NS = 'xmlns="http://schemas.microsoft.com/powershell/2004/04"';
const src = (text: string, name = 'x.xml') => makeSourceText(name, text);

describe('CLIXML tokenizer', () => {
  it('decodes _xHHHH_ escapes, XML entities, Nil, numbers and booleans', () => {
    const { value } = parseClixml(src(`<Objs ${NS}><Obj RefId="0"><Props>
      <S N="Banner">220 a_x000D__x000A_b &amp; &lt;c&gt; &#x41;</S><Nil N="Comment" /><I32 N="N">5</I32><I64 N="Big">9007199254740993</I64>
      <B N="On">true</B><S N="Odd_x0020_Name">v</S></Props></Obj></Objs>`));
    const p = value[0]?.props;
    assert.equal(p?.get('Banner'), '220 a\r\nb & <c> A');
    assert.equal(p?.get('Comment'), null);
    assert.equal(p?.get('N'), 5);
    assert.equal(p?.get('Big'), '9007199254740993');
    assert.equal(p?.get('On'), true);
    assert.equal(p?.get('Odd Name'), 'v');
  });

  it('resolves <Ref> and <TNRef> to what their RefId named', () => {
    const { value } = parseClixml(src(`<Objs ${NS}>
      <Obj RefId="0"><TN RefId="0"><T>Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector</T></TN><Props>
        <Obj N="Server" RefId="1"><TN RefId="1"><T>Microsoft.Exchange.Data.Directory.ADObjectId</T></TN><ToString>EX01</ToString></Obj>
        <Obj N="AuthMechanism" RefId="2"><TN RefId="2"><T>AuthMechanisms</T><T>System.Enum</T></TN><ToString>Tls</ToString><I32>1</I32></Obj>
      </Props></Obj>
      <Obj RefId="3"><TNRef RefId="0" /><Props><Ref N="Server" RefId="1" /><Obj N="AuthMechanism" RefId="4"><TNRef RefId="2" /><ToString>None</ToString><I32>0</I32></Obj></Props></Obj>
    </Objs>`));
    assert.equal(value.length, 2);
    assert.deepEqual(value[1]?.typeNames, ['Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector']);
    assert.equal(value[1]?.props.get('Server'), 'EX01');
    assert.equal(value[1]?.props.get('AuthMechanism'), 'None');
    assert.equal(value[1]?.source.line, 6);
  });

  it('lists (LST/IE), dictionaries (DCT) and member sets (MS)', () => {
    const { value } = parseClixml(src(`<Objs ${NS}><Obj RefId="0"><Props>
      <Obj N="L" RefId="1"><LST><S>a</S><S>b</S></LST></Obj><Obj N="E" RefId="2"><IE /></Obj>
      <Obj N="D" RefId="3"><DCT><En><S N="Key">k</S><I32 N="Value">1</I32></En></DCT></Obj></Props>
      <MS><S N="PSComputerName">ex01.corp.example</S><BA N="SerializationData">AAAA</BA></MS></Obj></Objs>`));
    const p = value[0]?.props;
    assert.deepEqual(p?.get('L'), ['a', 'b']);
    assert.deepEqual(p?.get('E'), []);
    assert.deepEqual(p?.get('D'), { k: 1 });
    assert.equal(p?.get('PSComputerName'), 'ex01.corp.example');
    assert.equal(p?.has('SerializationData'), false);
  });

  it('a property named __proto__ stays data in CLIXML and JSON (no prototype pollution)', async () => {
    const xml = `<Objs ${NS}><Obj RefId="0"><Props><S N="Identity">EX\\R</S><S N="Bindings">0.0.0.0:25</S><S N="__proto__">x</S>
      <Obj N="Nested" RefId="1"><ToString>n</ToString><Props><S N="__proto__">y</S></Props></Obj>
      <Obj N="D" RefId="2"><DCT><En><S N="Key">__proto__</S><S N="Value">z</S></En></DCT></Obj></Props></Obj></Objs>`;
    const json = '{"Identity": "EX\\\\J", "Bindings": ["0.0.0.0:25"], "__proto__": {"polluted": true}, "Nested": {"__proto__": {"polluted": true}}}';
    const { snapshot } = await importSources([src(xml, 'p.xml'), src(json, 'p.json')]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const [a, b] = snapshot.connectors;
    assert.equal(Object.getPrototypeOf(a?.extra), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(a?.extra, '__proto__')?.value, 'x');
    assert.equal(Object.getOwnPropertyDescriptor(b?.extra, '__proto__')?.value, null);
    assert.match(JSON.stringify(snapshot), /"__proto__":"x"/);
  });

  it('a PSRP fragment (one <Obj>, no <Objs>) is read', () => {
    const { value } = parseClixml(src('<Obj RefId="0"><TN RefId="0"><T>X</T></TN><Props><S N="Name">n</S></Props></Obj>'));
    assert.equal(value[0]?.props.get('Name'), 'n');
  });

  it('the #< CLIXML stream form: progress and error records are not objects', () => {
    const parsed = parseClixml(src(`#< CLIXML\n<Objs ${NS}><Obj S="progress" RefId="0"><MS><PR N="Record"><AV>x</AV></PR></MS></Obj><S S="Error">boom_x000D__x000A_</S></Objs>`));
    assert.equal(parsed.streamForm, true);
    assert.equal(parsed.value.length, 0);
    assert.equal(parsed.streamItems, 2);
  });

  it('a stream that holds supported objects is imported, with a warning', async () => {
    const text = `#< CLIXML\n<Objs ${NS}><Obj RefId="0"><TN RefId="0"><T>Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain</T></TN><Props><S N="DomainName">corp.example</S><S N="DomainType">Authoritative</S><B N="Default">true</B></Props></Obj></Objs>`;
    const { snapshot } = await importSources([src(text, 'stream.xml')]);
    assert.equal(snapshot.acceptedDomains.length, 1);
    assert.match(snapshot.warnings[0]?.message ?? '', /CLIXML output stream/);
  });

  it('tags split over lines (</S\\n\\t>) are accepted', () => {
    const { value } = parseClixml(src(`<Objs ${NS}><Obj RefId="0"><Props><S N="A">x</S\n\t></Props></Obj></Objs>`));
    assert.equal(value[0]?.props.get('A'), 'x');
  });

  for (const [name, text, line] of [
    ['DOCTYPE', `<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<Objs ${NS}/>`, 2],
    ['ENTITY alone', `<Objs ${NS}>\n<!ENTITY a "b">\n</Objs>`, 2],
    ['undefined entity', `<Objs ${NS}>\n<Obj RefId="0"><Props><S N="A">&bomb;</S></Props></Obj></Objs>`, 2],
    ['unclosed <Obj>', `<Objs ${NS}>\n<Obj RefId="0">\n<Props></Props>`, 2],
    ['markup inside a string', `<Objs ${NS}>\n<Obj RefId="0"><Props><S N="A">a<b/></S></Props></Obj></Objs>`, 2],
  ] as const) {
    it(`refuses ${name} with InputError naming line ${line}`, () => {
      assert.throws(() => parseClixml(src(text)), (e: unknown) => e instanceof InputError && e.line === line && e.file === 'x.xml');
    });
  }

  // UNSURE(reference): remote-session exports of ReceiveConnector with the Deserialized. prefix are
  // inferred from other Exchange types (§9.1); the prefix is stripped before classification.
  it('UNSURE(reference): Deserialized.…ReceiveConnector is a receive connector', async () => {
    const rel = 'fixtures/importers/clixml/remote-deserialized.xml';
    const { snapshot } = await importSources([makeSourceText(rel, readFileSync(join(REPO_ROOT, rel), 'utf8'))]);
    assert.equal(snapshot.connectors.length, 1);
    assert.equal(snapshot.permissions[0]?.extra?.principal, 'NT AUTHORITY\\ANONYMOUS LOGON');
  });
});

describe('detectKind', () => {
  const cases: Array<[string, string]> = [
    [`\uFEFF<Objs ${NS}>`, 'clixml'],
    ['<?xml version="1.0"?>\n<Objs>', 'clixml'],
    ['<Obj RefId="0">', 'clixml'],
    [' #< CLIXML\n<Objs>', 'clixml'],
    ['<html><body>', 'unsupported'],
    ['{"schema": "exrelay.snapshot/1", "servers": []}', 'snapshot'],
    ['{"Identity": "EX01\\\\Relay"}', 'json'],
    ['[\n  {"User": "x"}\n]', 'json'],
    ['[PS] C:\\>Get-ReceiveConnector\n\nIdentity Bindings Enabled\n', 'console-text'],
    ['#TYPE Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector\n"Identity","Enabled"\n', 'csv'],
    ['"Identity","Enabled"\n"EX01\\Relay","True"\n', 'csv'],
    ['Identity,User,Deny\nEX01\\Relay,NT AUTHORITY\\ANONYMOUS LOGON,False\n', 'csv'],
    ['#Software: Microsoft Exchange Server\n#Log-type: SMTP Receive Protocol Log\n', 'protocol-log'],
    ['2016-12-14T01:17:34.808Z,EX\\Default ,0000000000000000,0,x.x.x.x:25,198.51.100.94:55171,+,,\n', 'protocol-log'],
    ['Identity : EX01\\Relay\nEnabled  : True\n', 'console-text'],
    ['', 'unsupported'],
  ];
  for (const [text, kind] of cases) it(`${JSON.stringify(text.slice(0, 40))} → ${kind}`, () => assert.equal(detectKind(src(text)), kind));
});
