// The engine surface the sandbox drives: the SmtpSession of docs/internal/policy-api.md, as an
// interface so the transport can be tested against a scripted engine as well as the real one.
import type { ReceiveConnector, Reply, ScenarioUser } from '../model.js';

import type { LimitState } from '../policy/limits.js';
import type { Flavor } from '../policy/replies.js';
import type { MailParameters, MessageContent, RcptParameters } from '../policy/session.js';

export type { Flavor };

export interface DialogueOptions {
  server: string;
  port: number;
  localAddress?: string | null;
  remoteAddress: string;
  flavor?: Flavor;
  users: ScenarioUser[];
  implicitTls?: boolean;
  now?: Date;
  limitState?: LimitState;
  clock?: () => number;
}

/** One SMTP session's decisions, one method per client step; every method returns Exchange's reply. */
export interface Dialogue {
  readonly connector: ReceiveConnector | null;
  connect(): Reply;
  ehlo(helo: string, extended: boolean): { reply: Reply; extensions: string[] };
  startTls(): Reply;
  tlsEstablished(): void;
  /** `user`/`password` null: the client has only named the mechanism so far. */
  auth(mechanism: string, user: string | null, password: string | null): Reply;
  mail(from: string, params?: MailParameters): Reply;
  rcpt(to: string, params?: RcptParameters): Reply;
  data(): Reply;
  /** A BDAT chunk; for the LAST one, the end-of-message decision (as `message`). */
  bdat(chunkSize: number, last: boolean, messageId: string, content?: MessageContent): Reply;
  message(sizeBytes: number, messageId: string, queuedId?: string, content?: MessageContent): Reply;
  reselect(remoteAddress: string): Reply;
  rset(): Reply;
  noop(): Reply;
  quit(): Reply;
  /** false: no enabled connector binds this port for the client's address family (TCP refused). */
  readonly listening?: boolean;
  /** The account AUTH succeeded for, as the users file names it. */
  readonly authenticatedAs?: string | null;
  /** Whether a message of this many bytes is over the connector's MaxMessageSize for this session (BDAT chunks as they come). */
  exceedsMessageSize?(bytes: number): boolean;
  /** A reply about to be sent: protocol errors count against MaxProtocolErrors (the one reaching it becomes 421 4.7.0). */
  protocolReply?(reply: Reply): Reply;
  /** MaxInboundConnection / MaxInboundConnectionPerSource: null to admit, else the 421 4.3.2 refusal. */
  admit?(openOnConnector: number, openFromSource: number): Reply | null;
  /** The server closes the connection after the reply just given (421, RequireTLS 451). */
  readonly closed: boolean;
}

export type { MailParameters, MessageContent, RcptParameters } from '../policy/session.js';

export type DialogueFactory = (options: DialogueOptions) => Dialogue;
