// Shapes shared by the protocol-log scanner, the session state machine and the aggregation.
// Everything here is plain data so it crosses worker_threads by structured clone.

/** What a log record means for the SMTP dialogue (only the records that matter are kept). */
export const Ev = {
  /** `<` EHLO/HELO; arg = the name the client gave */
  Ehlo: 1,
  /** `<` STARTTLS or X-ANONYMOUSTLS */
  StartTls: 2,
  /** `<` AUTH or X-EXPS; arg = mechanism */
  Auth: 3,
  /** `<` MAIL FROM; arg = address ('' for the null sender) */
  Mail: 4,
  /** `<` RCPT TO; arg = address */
  Rcpt: 5,
  /** `<` DATA */
  Data: 6,
  /** `<` BDAT; code = 1 when it is the LAST chunk */
  Bdat: 7,
  /** `<` RSET */
  Rset: 8,
  /** `<` any other line from the client (QUIT, NOOP, an AUTH continuation…) */
  Other: 9,
  /** `>` a final or intermediate reply line; code = the reply code */
  Reply: 10,
  /** `*` TLS negotiation succeeded */
  TlsOk: 11,
  /** `*` `<account>,authenticated`; arg = account */
  Authenticated: 12,
  /** `*` `User Name: <account>`; arg = account */
  UserName: 13,
  /** `*` `XCLIENT ADDR=<address>` (the sandbox's proxy for another client); arg = address */
  ClientAddr: 14,
} as const;
export type EvKind = (typeof Ev)[keyof typeof Ev];

export interface LogEvent { seq: number; kind: EvKind; code: number; arg: string | null }

/** Flags on a partial session. */
export const HAS_CONNECT = 1;
export const HAS_DISCONNECT = 2;

/**
 * What one reader saw of one session. Sessions span files and chunks, so a session may arrive
 * as several partials (one per reader) that are merged by `key` before the dialogue is replayed.
 */
export interface SessionPartial {
  /** session id + local endpoint + remote endpoint: Exchange 2010 logs all-zero session ids */
  key: string;
  connector: string;
  localEndpoint: string;
  remoteEndpoint: string;
  /** earliest / latest date-time seen, in ms since the epoch (NaN: no readable date) */
  firstMs: number;
  lastMs: number;
  /** where this partial sits in its reader's table: a number from the session id, or `key` */
  slot: number | string;
  /** the session id's 64 bits as two 32-bit halves (-1: not 16 hex digits) */
  sidHi: number;
  sidLo: number;
  records: number;
  maxSeq: number;
  flags: number;
  /** the reader's record count when this session last had a record (for the idle sweep) */
  touched: number;
  /** the scanner (one file or byte range) all its records came from; -1 when several */
  origin: number;
  /**
   * The dialogue, packed to keep long-lived sessions cheap for the garbage collector: one
   * number per record (see `packEvent`: sequence number, Ev kind and code) and, for kinds that
   * carry text (see `hasArg`), one entry in `args` in the same order. A reply's code carries its
   * subject: +1000 sender (x.1.0), +2000 recipient (x.1.5).
   */
  events: number[];
  args: Array<string | null>;
}

// One number per event: the sequence number (-1 when the record had none) times 2^16, the kind
// times 2^12 and the code (below 3,000 with its subject). Exact in a double for any sequence
// number below 2^36, and ordered by sequence number first.
const SEQ_UNIT = 65536;
const KIND_UNIT = 4096;

export function packEvent(seq: number, kind: number, code: number): number {
  return seq * SEQ_UNIT + kind * KIND_UNIT + code;
}
export function eventSeq(packed: number): number { return Math.floor(packed / SEQ_UNIT); }
export function eventKind(packed: number): EvKind {
  return Math.floor((packed - eventSeq(packed) * SEQ_UNIT) / KIND_UNIT) as EvKind;
}
export function eventCode(packed: number): number { return (packed - eventSeq(packed) * SEQ_UNIT) % KIND_UNIT; }

export function hasArg(kind: number): boolean {
  return kind === Ev.Ehlo || kind === Ev.Auth || kind === Ev.Mail || kind === Ev.Rcpt || kind === Ev.Authenticated || kind === Ev.UserName || kind === Ev.ClientAddr;
}

export interface RecipientOutcome { address: string; code: number }

export interface Transaction {
  mailFrom: string;
  /** reply code to MAIL FROM (0: no reply logged) */
  mailCode: number;
  recipients: RecipientOutcome[];
  /** DATA/BDAT answered 250 */
  delivered: boolean;
}

/** One SMTP session after its dialogue was replayed from the log. */
export interface SessionSummary {
  connector: string;
  server: string;
  remoteIp: string;
  localIp: string;
  localPort: number | null;
  /** ms since the epoch (NaN: no readable date) */
  firstMs: number;
  lastMs: number;
  helo: string | null;
  tls: boolean;
  authenticatedAs: string | null;
  authMechanism: string | null;
  messages: number;
  transactions: Transaction[];
}
