/**
 * The coordinator's governance routes (server/governance), through the CoordinatorClient (which
 * opens a session when reads need one). Answers are parsed (coordinator/views.ts) and checked to
 * be about the vault and change asked for; what they hold is believed only once applyChange
 * has verified the signed evidence against the pinned state (assess.ts).
 */
import { z } from 'zod';
import { type Envelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import { changeId as changeIdOf } from '../../protocol/policy-engine';
import type { CoordinatorClient } from '../coordinator/client';
import { type ChangeViewParsed, changeViewSchema, policyViewSchema } from '../coordinator/views';

const MAX_CHANGES = 1000;
/** Either a bare list or `{ changes: [...] }`. */
const changeListSchema = z.union([
  z.array(changeViewSchema).max(MAX_CHANGES),
  z.object({ changes: z.array(changeViewSchema).max(MAX_CHANGES) }).transform((l) => l.changes),
]);

const changesPath = (vaultId: string) => `/api/v1/vaults/${vaultId}/changes`;

export async function fetchChanges(client: CoordinatorClient, vaultId: string): Promise<ChangeViewParsed[]> {
  return client.get(changesPath(vaultId), changeListSchema);
}

export async function fetchChange(client: CoordinatorClient, vaultId: string, changeId: string): Promise<ChangeViewParsed> {
  const view = await client.get(`${changesPath(vaultId)}/${changeId}`, changeViewSchema);
  if (view.changeId !== changeId) throw new ConclaveError('COORDINATOR_ERROR', `coordinator: asked for change ${changeId}, answered with ${view.changeId}`);
  return view;
}

/** Submits a signed proposal; the coordinator must file it under the id its signature digest gives. */
export async function submitProposal(client: CoordinatorClient, vaultId: string, proposal: Envelope): Promise<{ view: ChangeViewParsed; created: boolean }> {
  const { status, data } = await client.post(changesPath(vaultId), proposal, changeViewSchema);
  const expected = changeIdOf(proposal);
  if (data.changeId !== expected) throw new ConclaveError('COORDINATOR_ERROR', `coordinator: filed the proposal as change ${data.changeId}, but its id is ${expected}`);
  return { view: data, created: status === 201 };
}

export async function submitApproval(client: CoordinatorClient, vaultId: string, changeId: string, approval: Envelope): Promise<ChangeViewParsed> {
  const { data } = await client.post(`${changesPath(vaultId)}/${changeId}/approvals`, approval, changeViewSchema);
  if (data.changeId !== changeId) throw new ConclaveError('COORDINATOR_ERROR', `coordinator: approved change ${changeId}, answered with ${data.changeId}`);
  return data;
}

/** The part hashes of the coordinator's copy of the policy (null for a simple policy). */
export async function fetchPolicyParts(client: CoordinatorClient, vaultId: string): Promise<{ policy: string; members: string; addressBook: string } | null> {
  const view = await client.get(`/api/v1/vaults/${vaultId}/policy`, policyViewSchema);
  if (view.vaultId !== vaultId) throw new ConclaveError('COORDINATOR_ERROR', `coordinator: asked for the policy of vault ${vaultId}, answered with ${view.vaultId}'s`);
  return view.parts;
}
