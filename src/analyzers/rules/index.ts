// The rule registry, by hand (style §3.8): a test checks it against RULE_IDS, the rule files,
// their tests and the README's rule table.
import type { Rule } from '../rule.js';
import anonymousOpenRelay from './anonymous-open-relay.js';
import anonymousRelayInventory from './anonymous-relay-inventory.js';
import anonymousSenderSpoofing from './anonymous-sender-spoofing.js';
import basicAuthWithoutTls from './basic-auth-without-tls.js';
import connectorInconsistentAcrossServers from './connector-inconsistent-across-servers.js';
import defaultFrontendAltered from './default-frontend-altered.js';
import disabledConnector from './disabled-connector.js';
import duplicateConnectorScope from './duplicate-connector-scope.js';
import explicitDenyPresent from './explicit-deny-present.js';
import externallySecuredRelay from './externally-secured-relay.js';
import hubTransportRelayConnector from './hub-transport-relay-connector.js';
import loadBalancerInRelayRange from './load-balancer-in-relay-range.js';
import overlappingRemoteRanges from './overlapping-remote-ranges.js';
import portConflict from './port-conflict.js';
import protocolLoggingDisabled from './protocol-logging-disabled.js';
import relayRangeIncludesExchangeServer from './relay-range-includes-exchange-server.js';
import shadowedConnector from './shadowed-connector.js';
import tlsCertificateExpired from './tls-certificate-expired.js';
import tlsCertificateMissing from './tls-certificate-missing.js';
import tlsNotOffered from './tls-not-offered.js';
import wildcardAcceptedDomain from './wildcard-accepted-domain.js';

/** Every rule of the catalogue, sorted by id. */
export const ALL_RULES: readonly Rule[] = [
  anonymousOpenRelay,
  anonymousRelayInventory,
  anonymousSenderSpoofing,
  basicAuthWithoutTls,
  connectorInconsistentAcrossServers,
  defaultFrontendAltered,
  disabledConnector,
  duplicateConnectorScope,
  explicitDenyPresent,
  externallySecuredRelay,
  hubTransportRelayConnector,
  loadBalancerInRelayRange,
  overlappingRemoteRanges,
  portConflict,
  protocolLoggingDisabled,
  relayRangeIncludesExchangeServer,
  shadowedConnector,
  tlsCertificateExpired,
  tlsCertificateMissing,
  tlsNotOffered,
  wildcardAcceptedDomain,
];

