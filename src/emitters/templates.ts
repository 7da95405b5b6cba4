// The one Handlebars environment every emitter renders through. Templates only lay out: views
// are built in TypeScript (style §3 item 14). HTML templates keep Handlebars escaping on, so a
// connector name such as `<script>` or `{{x}}` arrives in the page as text; text templates
// (PowerShell, Postfix) compile with `noEscape` and must quote customer values through a helper.
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { errnoMessage, InternalError } from '../errors.js';

/**
 * The package root: this module is `src/emitters/templates.ts` under tsx and
 * `dist/emitters/templates.js` once built, so templates/ is two levels up either way.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');

const hb = Handlebars.create();

// Helpers, when a template needs one, are registered here and nowhere else (they only format,
// never decide). The report needs none: its view carries every string ready to print.

let partialsLoaded = false;

/** Every templates/partials/*.hbs, registered by file name without `.hbs`, compiled strict. */
function loadPartials(): void {
  if (partialsLoaded) return;
  const dir = join(TEMPLATES_DIR, 'partials');
  let names: string[];
  try { names = readdirSync(dir); } catch (error) {
    throw new InternalError(`templates: cannot read ${dir}: ${errnoMessage(error)}`);
  }
  for (const name of names.filter((n) => n.endsWith('.hbs')).sort()) {
    hb.registerPartial(basename(name, '.hbs'), hb.compile(readTemplate(join('partials', name)), { strict: true }));
  }
  partialsLoaded = true;
}

/** Reads templates/RELATIVE as UTF-8. A missing template is a packaging bug, not bad input. */
export function readTemplate(relative: string): string {
  const path = join(TEMPLATES_DIR, relative);
  try { return readFileSync(path, 'utf8'); } catch (error) {
    throw new InternalError(`templates: cannot read ${path}: ${errnoMessage(error)}`);
  }
}

export type Render<V> = (view: V) => string;

const compiled = new Map<string, Render<never>>();

/**
 * Compiles templates/RELATIVE once per process (strict: a field the view lacks throws) and
 * returns the render function. `text: true` turns HTML escaping off for non-HTML output.
 */
export function template<V>(relative: string, options: { text?: boolean } = {}): Render<V> {
  const key = `${options.text === true ? 'text' : 'html'}:${relative}`;
  const hit = compiled.get(key);
  if (hit !== undefined) return hit as Render<V>;
  loadPartials();
  const fn = hb.compile<V>(readTemplate(relative), { strict: true, noEscape: options.text === true });
  const render: Render<V> = (view) => fn(view);
  compiled.set(key, render);
  return render;
}
