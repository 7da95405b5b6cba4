// One reading of an Exchange server's version, shared by the lifecycle rule, the replies'
// flavour and migrate's target detection, so they never disagree about what a server is.
// Accepted forms, as exports hold them: AdminDisplayVersion `Version 15.1 (Build 2507.6)`,
// the file-version form `15.01.2507.006` / `15.2.2562.17`, and a bare `15.2`.

/** Exchange Server products exrelay knows; `se` is Subscription Edition. */
export const EXCHANGE_PRODUCTS = ['2010', '2013', '2016', '2019', 'se'] as const;
export type ExchangeProduct = (typeof EXCHANGE_PRODUCTS)[number];

/** First build of Subscription Edition (RTM, 15.2.2562); 15.2 builds below it are Exchange 2019. */
export const SE_FIRST_BUILD = 2562;

export interface ExchangeVersion {
  major: number;
  minor: number;
  /** null when the text carried only `major.minor`. */
  build: number | null;
  revision: number | null;
  /**
   * null when the text does not say which product it is: an unknown major/minor, or 15.2
   * without a build (2019 and Subscription Edition share 15.2; only the build tells them apart).
   */
  product: ExchangeProduct | null;
}

const ADMIN_DISPLAY = /(\d+)\.(\d+)\s*\(\s*Build\s+(\d+)(?:\.(\d+))?\s*\)/i;
const DOTTED = /(\d+)\.(\d+)(?:\.(\d+)(?:\.(\d+))?)?/;

function productOf(major: number, minor: number, build: number | null): ExchangeProduct | null {
  if (major === 14) return '2010';
  if (major !== 15) return null;
  if (minor === 0) return '2013';
  if (minor === 1) return '2016';
  if (minor === 2) return build === null ? null : build >= SE_FIRST_BUILD ? 'se' : '2019';
  return null;
}

/** Reads a version as exported; null when the text holds no `major.minor` at all. */
export function parseExchangeVersion(text: string | null | undefined): ExchangeVersion | null {
  if (text === null || text === undefined) return null;
  const m = ADMIN_DISPLAY.exec(text) ?? DOTTED.exec(text);
  if (m === null) return null;
  const num = (s: string | undefined): number | null => (s === undefined ? null : Number(s));
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const build = num(m[3]);
  return { major, minor, build, revision: num(m[4]), product: productOf(major, minor, build) };
}

/** `Exchange 2016`, `Exchange Server Subscription Edition`. */
export function productName(product: ExchangeProduct): string {
  return product === 'se' ? 'Exchange Server Subscription Edition' : `Exchange ${product}`;
}
