// The same Exchange objects in every shape consultants bring them in — ConvertTo-Json of whole
// objects, Format-List and tables printed in several cultures, Export-Csv, Windows-1252 text,
// two partial captures of one ACL — import to the same snapshot as their CLIXML export.
// fixtures/importers/same-objects/<group>/reference.xml is the CLIXML; every other file of the
// group (or every subdirectory, whose files are imported together) is one variant.
// Compared: every model field, and of `extra` only `assumed` (where each file came from differs).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { importSources } from '../../src/importers/index.js';
import type { Snapshot } from '../../src/model.js';
import { decodeSource } from '../../src/source.js';
import { REPO_ROOT } from '../helpers/cli.js';

const DIR = join(REPO_ROOT, 'fixtures/importers/same-objects');

function comparable(snapshot: Snapshot): unknown {
  const strip = <T extends { extra?: Record<string, unknown> }>(x: T): Omit<T, 'extra'> & { assumed?: unknown } => {
    const { extra, ...rest } = x;
    return extra?.assumed === undefined ? rest : { ...rest, assumed: extra.assumed };
  };
  return {
    servers: snapshot.servers.map(strip),
    connectors: snapshot.connectors.map(strip),
    // A capture without ExtendedRights marks its entries; the rights themselves must agree.
    // Two captures list the entries in their own orders; an ACL is a set.
    permissions: snapshot.permissions.map((p) => { const { extra: _e, ...rest } = p; return rest; })
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    acceptedDomains: snapshot.acceptedDomains.map(strip),
    certificates: snapshot.certificates.map(strip),
  };
}

async function importFiles(files: readonly string[]): Promise<Snapshot> {
  const sources = files.map((f) => decodeSource(f.slice(REPO_ROOT.length + 1), readFileSync(f)));
  return (await importSources(sources)).snapshot;
}

function filesBelow(path: string): string[] {
  return statSync(path).isDirectory() ? readdirSync(path).sort().flatMap((n) => filesBelow(join(path, n))) : [path];
}

describe('the same objects in every export shape import to the snapshot of their CLIXML', () => {
  const groups = readdirSync(DIR).filter((g) => statSync(join(DIR, g)).isDirectory()).sort();
  it('has groups', () => assert.ok(groups.length >= 4));
  for (const group of groups) {
    const variants = readdirSync(join(DIR, group)).filter((n) => n !== 'reference.xml' && !/\.(md|py)$/.test(n)).sort();
    for (const variant of variants) {
      it(`${group}/${variant}`, async () => {
        const reference = await importFiles([join(DIR, group, 'reference.xml')]);
        assert.deepEqual(reference.warnings, [], 'the reference imports cleanly');
        assert.ok(reference.connectors.length + reference.permissions.length + reference.certificates.length > 0);
        const files = filesBelow(join(DIR, group, variant));
        const raw = files.map((f) => readFileSync(f));
        // Written as Windows writes them: CRLF line ends; UTF-16LE with a BOM unless named otherwise.
        for (const [k, bytes] of raw.entries()) {
          const name = files[k] ?? '';
          if (/windows-1252|\.csv$/.test(name)) continue;
          assert.deepEqual([bytes[0], bytes[1]], [0xff, 0xfe], `${name} is UTF-16LE with a BOM`);
          assert.ok(bytes.includes(0x0d), `${name} has CRLF line ends`);
        }
        const actual = await importFiles(files);
        assert.deepEqual(comparable(actual), comparable(reference));
      });
    }
  }
});
