// The cmdlets that change the configuration, by name: each takes the working snapshot and its
// bound parameters, changes the snapshot (or throws a Refusal) and says what it did.
import type { Snapshot } from '../../model.js';
import type { Params } from '../binding.js';
import { newAcceptedDomain, removeAcceptedDomain, setAcceptedDomain } from './accepted-domain.js';
import { addADPermission, removeADPermission } from './ad-permission.js';
import { newReceiveConnector, removeReceiveConnector, setReceiveConnector } from './receive-connector.js';

export type Mutator = (snap: Snapshot, params: Params) => string;

export const MUTATORS: Readonly<Record<string, Mutator>> = {
  'New-ReceiveConnector': newReceiveConnector,
  'Set-ReceiveConnector': setReceiveConnector,
  'Remove-ReceiveConnector': removeReceiveConnector,
  'Add-ADPermission': addADPermission,
  'Remove-ADPermission': removeADPermission,
  'New-AcceptedDomain': newAcceptedDomain,
  'Set-AcceptedDomain': setAcceptedDomain,
  'Remove-AcceptedDomain': removeAcceptedDomain,
};
