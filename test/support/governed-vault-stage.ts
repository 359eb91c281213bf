/**
 * The staging the governed-vault API suites share, test by test: a fresh in-process coordinator
 * under the test's clock, the cast, the governed vault (policy version 2) they all joined and
 * confirmed, and a governance client for it. A suite that moves money asks for deposits and
 * payees: the payees go through the admins' address-book quorum and the clock is moved past
 * their cooling-off, so withdrawals to them are allowed from the first line of each test.
 */
import type { VaultView } from '../../protocol/api';
import { type Cast, Governance, RULES, TestTime, addToAddressBook, cast, createGovernedVault } from './governed-vault';
import { type RunningCoordinator, startInProcessCoordinator } from './in-process-coordinator';
import { deposit } from './vault-scenario';

export interface GovernedVaultStage {
  coord: RunningCoordinator;
  time: TestTime;
  c: Cast;
  vault: VaultView;
  gov: Governance;
}

export interface GovernedVaultStaging {
  /** Amounts alice registers as one deposit to the vault's first addresses. */
  deposits?: bigint[];
  /** Addresses approved into the address book (by carol, ada and ben), then past their cooling-off. */
  payees?: string[];
}

export async function stageGovernedVault(staging: GovernedVaultStaging = {}): Promise<GovernedVaultStage> {
  const coord = await startInProcessCoordinator();
  const time = new TestTime(coord);
  try {
    const c = cast();
    const vault = await createGovernedVault(coord, c);
    const gov = new Governance(coord, vault.id, time);
    if (staging.deposits !== undefined) await deposit(coord, vault, c.alice, staging.deposits);
    if (staging.payees !== undefined) {
      for (const payee of staging.payees) await addToAddressBook(gov, c, payee);
      time.advance(RULES.addressBook.coolingOffSeconds * 1000);
    }
    return { coord, time, c, vault, gov };
  } catch (error) {
    // A stage that failed half-way leaves neither faked timers nor a running coordinator behind.
    await closeGovernedVault({ coord, time });
    throw error;
  }
}

export async function closeGovernedVault(stage: Pick<GovernedVaultStage, 'coord' | 'time'>): Promise<void> {
  stage.time.restore();
  await stage.coord.close();
}
