// Recharge to a target is new workflow logic: a run recorded before it charged `rechargeCredits`
// whatever the settings said, so its history replays as fixed. Fixed settings never reach the
// patch, so their histories gain no marker.
import * as wf from '@temporalio/workflow';
import type { AutoRechargeSettings } from '../../domain/autoRecharge';

/** The settings as this run applies them: to_target only where the patch is in force. */
export function liveRechargeSettings(settings: AutoRechargeSettings): AutoRechargeSettings {
  if (settings.mode !== 'to_target' || wf.patched('recharge-to-target')) return settings;
  return { ...settings, mode: 'fixed' };
}
