// The session replay (parallel arrays reused from session to session, one number for "the AUTH
// at the head was answered 334") held to a plain replay with an object per waiting command and
// a flag on each, on random dialogues: lost replies, AUTH continuations, pipelining, BDAT, RSET.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeSession } from '../../src/logs/session.js';
import { Ev, packEvent, hasArg, type EvKind, type SessionPartial, type SessionSummary, type Transaction } from '../../src/logs/types.js';
import { prng } from '../../bench/lib/prng.js';

interface Waiting { kind: EvKind; arg: string | null; bdatLast: boolean; intermediate: boolean }

/** The dialogue rules of session.ts, written plainly: an object per command still waiting. */
function plainReplay(events: Array<{ kind: EvKind; code: number; arg: string | null }>): Pick<SessionSummary, 'helo' | 'tls' | 'authenticatedAs' | 'authMechanism' | 'messages' | 'transactions' | 'remoteIp'> {
  const s = { helo: null as string | null, tls: false, authenticatedAs: null as string | null, authMechanism: null as string | null, messages: 0, transactions: [] as Transaction[], remoteIp: '10.0.0.9' };
  const queue: Waiting[] = [];
  let tx: Transaction | null = null;
  let userName: string | null = null;
  const count = (): void => { s.messages++; if (tx !== null) tx.delivered = true; };
  for (const { kind, code: rawCode, arg: rawArg } of events) {
    let code = rawCode;
    let arg = rawArg;
    if (kind === Ev.Reply && code >= 1000) { arg = code >= 2000 ? 'recipient' : 'sender'; code %= 1000; }
    if (kind === Ev.TlsOk) { s.tls = true; continue; }
    if (kind === Ev.Authenticated) { s.authenticatedAs = arg; continue; }
    if (kind === Ev.UserName) { userName = arg; continue; }
    if (kind === Ev.ClientAddr) { if (arg !== null && arg !== '') s.remoteIp = arg; continue; }
    if (kind === Ev.Other) {
      const head = queue[0];
      if (head !== undefined && head.kind === Ev.Auth && head.intermediate) continue;
      queue.push({ kind, arg, bdatLast: false, intermediate: false });
      continue;
    }
    if (kind !== Ev.Reply) { queue.push({ kind, arg, bdatLast: kind === Ev.Bdat && code === 1, intermediate: false }); continue; }
    if (arg !== null) while (queue.length > 0 && queue[0]?.kind !== Ev.Mail && queue[0]?.kind !== Ev.Rcpt) queue.shift();
    const head = queue[0];
    if (head === undefined) continue;
    if (code >= 300 && code < 400) { head.intermediate = true; continue; }
    if (arg === 'sender' && head.kind !== Ev.Mail) continue;
    queue.shift();
    const replyCode = arg === 'recipient' && head.kind === Ev.Mail ? 250 : code;
    const ok = replyCode >= 200 && replyCode < 300;
    switch (head.kind) {
      case Ev.Ehlo: if (ok && head.arg !== null && head.arg !== '') s.helo = head.arg; tx = null; break;
      case Ev.StartTls: if (replyCode === 220) s.tls = true; tx = null; break;
      case Ev.Auth: if (ok) { s.authMechanism = head.arg; if (s.authenticatedAs === null) s.authenticatedAs = userName ?? '(unnamed account)'; } break;
      case Ev.Mail: tx = { mailFrom: head.arg ?? '', mailCode: replyCode, recipients: [], delivered: false }; s.transactions.push(tx); break;
      case Ev.Rcpt: {
        const into: Transaction = tx ?? { mailFrom: '', mailCode: 0, recipients: [], delivered: false };
        if (tx === null) s.transactions.push(into);
        into.recipients.push({ address: head.arg ?? '', code: replyCode });
        tx = into;
        break;
      }
      case Ev.Data: if (replyCode === 250) count(); tx = null; break;
      case Ev.Bdat:
        if (!head.bdatLast) { if (!ok) tx = null; break; }
        if (replyCode === 250) count();
        tx = null;
        break;
      case Ev.Rset: tx = null; break;
      default: break;
    }
  }
  return s;
}

function partialOf(events: Array<{ kind: EvKind; code: number; arg: string | null }>): SessionPartial {
  return {
    key: 'k', connector: 'EX01\\Relay EX01', localEndpoint: '10.0.0.11:25', remoteEndpoint: '10.0.0.9:1000', firstMs: 0, lastMs: 0,
    slot: 'k', sidHi: -1, sidLo: -1, records: events.length, maxSeq: events.length - 1, flags: 0, touched: 0, origin: 0,
    events: events.map((e, seq) => packEvent(seq, e.kind, e.code)),
    args: events.filter((e) => hasArg(e.kind)).map((e) => e.arg),
  };
}

describe('session replay', () => {
  it('gives what a plain replay with an object per waiting command gives, on random dialogues', () => {
    const rand = prng(41);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
    const commands: Array<[EvKind, number, string | null]> = [
      [Ev.Ehlo, 0, 'host'], [Ev.StartTls, 0, null], [Ev.Auth, 0, 'LOGIN'], [Ev.Mail, 0, 'a@b.example'], [Ev.Rcpt, 0, 'c@d.example'],
      [Ev.Data, 0, null], [Ev.Bdat, 0, null], [Ev.Bdat, 1, null], [Ev.Rset, 0, null], [Ev.Other, 0, null],
      [Ev.TlsOk, 0, null], [Ev.Authenticated, 0, 'CORP\\svc'], [Ev.UserName, 0, 'CORP\\user'], [Ev.ClientAddr, 0, '10.9.9.9'],
    ];
    const replies = [220, 235, 250, 250, 250, 334, 334, 354, 421, 452, 550, 1250, 2250, 2550, 1550];
    for (let n = 0; n < 3000; n++) {
      const events = Array.from({ length: Math.floor(rand() * 30) }, () => {
        if (rand() < 0.45) return { kind: Ev.Reply, code: pick(replies), arg: null };
        const [kind, code, arg] = pick(commands);
        return { kind, code, arg };
      });
      // A session before it that ends while an AUTH at a random place waits for credentials:
      // nothing of it may carry over.
      const before = [...Array.from({ length: Math.floor(rand() * 6) }, () => ({ kind: Ev.Other, code: 0, arg: null })), { kind: Ev.Auth as EvKind, code: 0, arg: 'LOGIN' }, { kind: Ev.Reply as EvKind, code: 334, arg: null }];
      summarizeSession(partialOf(before));
      const partial = partialOf(events);
      const got = summarizeSession(partial);
      const want = plainReplay(events);
      assert.deepEqual({ helo: got.helo, tls: got.tls, authenticatedAs: got.authenticatedAs, authMechanism: got.authMechanism, messages: got.messages, transactions: got.transactions, remoteIp: got.remoteIp }, want, JSON.stringify(events));
    }
  });
});
