/**
 * Withdrawals proposed by automation through an API token of scope `propose` (issue 5). The
 * request carries only the intent; the coordinator builds the token-proposal evidence
 * (protocol/auth/access.ts): the member's signed `token.create` grant and its own signed
 * `withdrawal.propose-by-token` statement over `{ intent, tokenId }`, and proposes through the
 * same path as a signed proposal, with the granting member as proposer. Signers re-verify the
 * grant, so a token can only ever start a withdrawal that the people still approve and sign.
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MESSAGE_TYPES, type WithdrawalIntent, type WithdrawalView, withdrawalIntentSchema } from '../../protocol/api';
import type { TokenProposal } from '../../protocol/auth/access';
import { ConclaveError } from '../../protocol/errors';
import { CoordinatorIdentity } from '../audit/coordinator-identity';
import { Clock } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { WithdrawalsService } from '../withdrawals/withdrawals.service';
import { ApiTokenEntity } from './api-token.entity';
import type { TokenPrincipal } from './principal';
import { z } from 'zod';

const requestSchema = z.object({ intent: z.unknown() }).strict();

@Injectable()
export class TokenProposalsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly withdrawals: WithdrawalsService,
    private readonly identity: CoordinatorIdentity,
    private readonly clock: Clock,
  ) {}

  async propose(token: TokenPrincipal, input: unknown): Promise<{ created: boolean; withdrawal: WithdrawalView }> {
    const intent: WithdrawalIntent = parseWith(withdrawalIntentSchema, parseWith(requestSchema, input, 'body').intent, 'body.intent');
    const row = await this.dataSource.getRepository(ApiTokenEntity).findOne({ where: { id: token.tokenId } });
    if (row === null || row.scope !== 'propose') throw new ConclaveError('ACCESS_DENIED', 'the token may not propose withdrawals');
    const statement = this.identity.signStatement(MESSAGE_TYPES.withdrawalProposeByToken, { intent, tokenId: row.id }, this.clock.now());
    const evidence: TokenProposal = { format: 'token', grant: JSON.parse(row.grantEnvelope), statement };
    return this.withdrawals.proposeWithSource(intent, {
      proposer: row.identityKey,
      created: statement.created,
      evidence,
      audit: { kind: 'withdrawal.proposed-by-token', actor: this.identity.publicKey, evidence: statement, payload: { proposedBy: row.identityKey, tokenId: row.id } },
    });
  }
}
