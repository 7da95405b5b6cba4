// Plain-language wording for the customer: what each rule means for the business and the action
// to take first. The findings document carries the technical title and message; this table adds
// what an executive reads. Keyed by the fixed rule ids of contract rules.md.
import type { RuleId, Severity } from '../../model.js';

export interface RuleWording {
  /** What goes wrong if it is left as it is (one or two sentences, no jargon). */
  impact: string;
  /** The action, imperative, completed by " on <connector>" where there is one. */
  action: string;
}

export const RULE_WORDING: Record<RuleId, RuleWording> = {
  'anonymous-open-relay': {
    impact: 'Anyone who can reach the listed addresses can send mail to any recipient through the organisation\'s servers without a password. Spammers find such relays within days; the organisation\'s addresses then land on block lists and its own mail stops being delivered.',
    action: 'Close the anonymous relay to untrusted addresses',
  },
  'anonymous-relay-inventory': {
    impact: 'These internal hosts may relay without authentication. That is the usual set-up for printers and applications; it is listed so the list stays short and reviewed.',
    action: 'Review the hosts allowed to relay anonymously',
  },
  'externally-secured-relay': {
    impact: 'Every host in the ranges is trusted as if it were an Exchange server: it may relay anywhere, send as any sender (executives included) and bypass anti-spam and size limits.',
    action: 'Replace the externally secured trust with a narrow anonymous relay',
  },
  'relay-range-includes-exchange-server': {
    impact: 'Mail between Exchange servers lands on a relay connector instead of the default one, so internal mail is handled with the wrong rights; this breaks in hard-to-diagnose ways during migrations.',
    action: 'Remove the Exchange server addresses from the relay ranges',
  },
  'load-balancer-in-relay-range': {
    impact: 'Every client behind the load balancer arrives with the balancer\'s address, so every one of them — possibly the whole internet — may relay.',
    action: 'Remove the load balancer address from the relay ranges',
  },
  'overlapping-remote-ranges': {
    impact: 'Which connector answers a host depends on range sizes in a way that is easy to get wrong; some hosts get other relay rights than intended.',
    action: 'Make the overlapping remote ranges nested or disjoint',
  },
  'duplicate-connector-scope': {
    impact: 'Exchange cannot tell the connectors apart: which one answers is undefined and may change after a restart.',
    action: 'Merge or re-scope the duplicate connectors',
  },
  'shadowed-connector': {
    impact: 'The connector never answers anyone: its settings give a false picture of what is configured.',
    action: 'Remove the unused connector or fix its ranges',
  },
  'basic-auth-without-tls': {
    impact: 'User names and passwords may be sent in clear text and read by anyone on the network path.',
    action: 'Require TLS before passwords are accepted',
  },
  'tls-not-offered': {
    impact: 'Mail (and any credentials) sent to this connector travel unencrypted.',
    action: 'Offer TLS',
  },
  'tls-certificate-missing': {
    impact: 'Clients cannot establish TLS with a trusted certificate; authentication fails or falls back to clear text.',
    action: 'Assign a valid certificate for the connector\'s name',
  },
  'tls-certificate-expired': {
    impact: 'TLS negotiation fails or raises warnings; some senders stop delivering or fall back to clear text.',
    action: 'Renew the expired certificate and assign it',
  },
  'hub-transport-relay-connector': {
    impact: 'On Exchange 2013 and later port 25 belongs to the Front End Transport service; a hub connector here conflicts with it or relays in a way Microsoft does not support.',
    action: 'Recreate the relay connector in the Front End Transport role',
  },
  'port-conflict': {
    impact: 'One of the two transport services cannot open its port and fails to start: mail flow stops.',
    action: 'Move one of the conflicting connectors to another binding',
  },
  'protocol-logging-disabled': {
    impact: 'There is no record of who uses this connector, so abuse and the impact of a change cannot be investigated.',
    action: 'Turn on protocol logging',
  },
  'connector-inconsistent-across-servers': {
    impact: 'The same client gets different answers depending on which server it reaches; a failover or a load balancer changes behaviour.',
    action: 'Align the connector on every server',
  },
  'default-frontend-altered': {
    impact: 'Inbound internet mail may be refused.',
    action: 'Restore the default front-end connector',
  },
  'anonymous-sender-spoofing': {
    impact: 'Hosts in range may send mail that appears to come from anyone, including the organisation\'s own executives.',
    action: 'Withdraw the any-sender right from anonymous clients',
  },
  'explicit-deny-present': {
    impact: 'An explicit Deny overrides every grant; someone restricted this connector by hand. Make sure it is intended and documented.',
    action: 'Document or remove the explicit Deny entry',
  },
  'wildcard-accepted-domain': {
    impact: 'Every domain counts as accepted, so anyone who may submit mail — anonymous internet hosts included — may relay anywhere.',
    action: 'Remove the wildcard accepted domain',
  },
  'disabled-connector': {
    impact: 'The connector does nothing today, but it can be re-enabled by mistake with outdated settings.',
    action: 'Remove the disabled connector if it is no longer needed',
  },
  'unsupported-exchange-version': {
    impact: 'Microsoft no longer publishes security fixes for this Exchange version (outside a paid extension, when one exists): a newly found flaw stays open on a server that accepts mail from the network.',
    action: 'Plan the move to Exchange Server Subscription Edition or Exchange Online',
  },
};

export const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', info: 'Info',
};

/** Points per finding for the headline score (capped at 100). */
export const SEVERITY_WEIGHT: Record<Severity, number> = {
  critical: 40, high: 15, medium: 5, low: 1, info: 0,
};

/** Where a rule's severity changes the story (rules.md grades some rules). */
const GRADED_WORDING: Partial<Record<RuleId, Partial<Record<Severity, RuleWording>>>> = {
  'anonymous-open-relay': {
    high: {
      impact: 'More than 256 internal addresses may send mail to any recipient without a password: any infected or compromised machine among them can send spam or phishing in the organisation\'s name.',
      action: 'Narrow the anonymous relay to the hosts that need it',
    },
  },
  'externally-secured-relay': {
    high: {
      impact: 'Every internal host in the ranges is trusted as if it were an Exchange server: it may relay anywhere, send as any sender and bypass anti-spam and size limits.',
      action: 'Replace the externally secured trust with a narrow anonymous relay',
    },
  },
};

export function wordingFor(rule: string, severity?: Severity): RuleWording {
  const graded = severity === undefined ? undefined : (GRADED_WORDING as Record<string, Partial<Record<Severity, RuleWording>> | undefined>)[rule]?.[severity];
  return graded ?? (RULE_WORDING as Record<string, RuleWording | undefined>)[rule]
    ?? { impact: 'See the finding\'s message.', action: 'Review the finding' };
}
