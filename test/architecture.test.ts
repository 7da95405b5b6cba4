// The layering rule of eslint.config.js (docs/architecture.md), fed sample imports: a sibling
// feature or a higher layer is refused, a lower layer or the file's own folder is allowed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
// @ts-expect-error -- the config is plain JavaScript without declarations
import { layering } from '../eslint.config.js';

const eslint = new ESLint({
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...(layering as ESLint.Options['overrideConfig'] & object[])],
});

async function refused(file: string, specifier: string): Promise<boolean> {
  const [result] = await eslint.lintText(`import { x } from '${specifier}';\nexport { x };\n`, { filePath: file });
  return (result?.messages ?? []).some((m) => m.ruleId === 'no-restricted-imports');
}

describe('layering (eslint no-restricted-imports)', () => {
  const cases: Array<[file: string, specifier: string, refusedExpected: boolean]> = [
    ['src/apply/values.ts', '../emitters/templates.js', true],
    ['src/emitters/powershell/migrate.ts', '../../apply/acl.js', true],
    ['src/replay/replay.ts', '../sandbox/server.js', true],
    ['src/analyzers/rules/x.ts', '../../emitters/report/view.js', true],
    ['src/importers/index.ts', '../cli/io.js', true],
    ['src/policy/select.ts', '../analyzers/run.js', true],
    ['src/powershell/quote.ts', '../policy/index.js', true],
    ['src/model.ts', './policy/index.js', true],
    ['src/apply/values.ts', '../powershell/quote.js', false],
    ['src/emitters/report/view.ts', '../powershell/quote.js', false],
    ['src/emitters/report/view.ts', '../../powershell/quote.js', false],
    ['src/emitters/powershell/migrate.ts', '../../policy/index.js', false],
    ['src/emitters/powershell/migrate.ts', '../templates.js', false],
    ['src/apply/cmdlets/lookup.ts', '../coercion.js', false],
    ['src/cli/commands/apply.ts', '../../apply/apply.js', false],
    ['src/sandbox/server.ts', '../net/address.js', false],
    // The fix verifier (src/proof) combines features; no feature may reach up to it.
    ['src/analyzers/run.ts', '../proof/verify.js', true],
    ['src/apply/apply.ts', '../proof/verify.js', true],
    ['src/analyzers/rules/x.ts', '../../proof/baseline.js', true],
    ['src/proof/verify.ts', '../cli/io.js', true],
    ['src/proof/verify.ts', 'node:process', true],
    ['src/proof/verify.ts', '../apply/apply.js', false],
    ['src/proof/verify.ts', '../analyzers/run.js', false],
    ['src/proof/baseline.ts', '../replay/replay.js', false],
    ['src/cli/commands/audit.ts', '../../proof/verify.js', false],
  ];
  for (const [file, specifier, expected] of cases) {
    it(`${file} importing ${specifier}: ${expected ? 'refused' : 'allowed'}`, async () => {
      assert.equal(await refused(file, specifier), expected);
    });
  }
});
