// The policy engine's session behind the sandbox's Dialogue interface.
import type { PolicyIndex } from '../policy/index.js';
import { SmtpSession } from '../policy/session.js';
import type { DialogueFactory } from './dialogue.js';

export function policyDialogues(policy: PolicyIndex): DialogueFactory {
  return (options) => new SmtpSession(policy, options);
}
