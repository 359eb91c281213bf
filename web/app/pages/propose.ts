/**
 * Proposing a withdrawal: a destination from the address book (only entries usable now can be
 * chosen), an amount in BTC or sats, a fee rate within the policy's cap (presets from the
 * coordinator's fee estimates, GET /api/v1/fee-estimates, or a custom rate), a memo and an expiry.
 * The intent is signed with the member's passkey as a `withdrawal.propose` statement, which the
 * coordinator and every signer verify against the passkeys pinned for them.
 */
import { type FeeEstimatesView, MESSAGE_TYPES, type WithdrawalIntent, type WithdrawalView } from '../../../protocol/api';
import { entryStatus } from '../../../protocol/policy-engine/address-book';
import { api } from '../api';
import { accessIn, loadVault } from '../data';
import { describeError, empty, errorBox, h, replace } from '../dom';
import { amount, btc, parseAmount, satsText, time } from '../format';
import type { Page } from '../page';
import { signStatement } from '../passkey';
import { vaultNav } from './vault-nav';

const PRESET_NAMES: Record<FeeEstimatesView['rates'][number]['name'], string> = { priority: 'Priority', normal: 'Normal', economy: 'Economy' };
const SOURCE_TEXT: Record<FeeEstimatesView['source'], string> = {
  core: 'Estimates from the coordinator\'s Bitcoin Core node',
  esplora: 'Estimates from the coordinator\'s Esplora server',
  offline: 'The coordinator is offline (no chain backend): every preset is its configured fallback rate',
};

/** The fee presets, or why there are none (the custom rate still works). */
async function feePresets(): Promise<{ view: FeeEstimatesView } | { error: string }> {
  try {
    return { view: await api<FeeEstimatesView>('GET', '/api/v1/fee-estimates') };
  } catch (error) {
    return { error: `No fee estimates right now (${describeError(error).message}); enter a custom rate.` };
  }
}

/** Radio buttons for the presets within the cap (normal chosen first), and a line saying where they came from. */
function feeChoices(presets: { view: FeeEstimatesView } | { error: string }, maxFeeRate: string) {
  if ('error' in presets) return { radios: [], note: h('p', { id: 'fee-source', class: 'help' }, presets.error), anyChecked: false };
  const { view } = presets;
  const within = view.rates.filter((r) => Number(r.feeRate) <= Number(maxFeeRate));
  const chosen = within.find((r) => r.name === 'normal') ?? within[0];
  const radios = within.map((r) => h('label', null,
    h('input', { type: 'radio', name: 'fee', value: r.feeRate, checked: r === chosen || undefined }),
    ` ${PRESET_NAMES[r.name]} (about ${r.targetBlocks} blocks): ${r.feeRate} sat/vB${r.fallback && view.source !== 'offline' ? ' (fallback: no estimate)' : ''}`));
  const above = view.rates.length - within.length;
  const note = h('p', { id: 'fee-source', class: 'help' }, `${SOURCE_TEXT[view.source]}, `, time(view.fetchedAt), '.',
    above === 0 ? '' : ` ${above} preset${above === 1 ? ' is' : 's are'} above the policy's cap and not offered.`);
  return { radios, note, anyChecked: chosen !== undefined };
}

export const proposePage: Page = {
  title: 'Propose a withdrawal',
  live: false,
  async render(ctx) {
    const vault = await loadVault(ctx.params[0]!);
    const access = accessIn(vault, ctx.session);
    const head = [h('h1', { tabindex: '-1' }, `Propose a withdrawal from ${vault.name}`), vaultNav(vault, access)];
    const governed = access.governed;
    if (governed === null || !access.mayPropose) {
      return [...head, empty(governed === null
        ? 'This vault has a simple policy: withdrawals are proposed by keyholders with signer-cli.'
        : 'You may not propose withdrawals from this vault (your groups are not among its proposing groups, or no passkey is pinned for you).')];
    }
    const now = new Date();
    const entries = governed.addressBook.entries.map((e) => ({ entry: e, status: entryStatus(e, governed.rules.addressBook, undefined, now) }));
    const usable = entries.filter((e) => e.status.state === 'usable');
    if (usable.length === 0) {
      return [...head, empty('No address-book entry is usable yet. New entries need their quorum and then wait out the cooling-off period.'),
        h('a', { href: `#/vaults/${vault.id}/address-book` }, 'See the address book')];
    }
    const message = h('div', { id: 'propose-message', 'aria-live': 'polite' });
    const fees = feeChoices(await feePresets(), governed.rules.maxFeeRate);
    const form = h('form', { class: 'form', id: 'propose-form', novalidate: true },
      h('label', { for: 'destination' }, 'Destination'),
      h('select', { id: 'destination', name: 'destination', required: true },
        usable.map(({ entry }) => h('option', { value: entry.address }, `${entry.label} — ${entry.address}`))),
      h('fieldset', null, h('legend', null, 'Amount'),
        h('input', { id: 'amount', name: 'amount', 'aria-label': 'Amount', inputmode: 'decimal', autocomplete: 'off', required: true, 'aria-describedby': 'amount-help' }),
        h('label', null, h('input', { type: 'radio', name: 'unit', value: 'btc', checked: true }), ' BTC'),
        h('label', null, h('input', { type: 'radio', name: 'unit', value: 'sats' }), ' sats'),
        h('p', { id: 'amount-help', class: 'help' }, 'Available: ', amount(BigInt(vault.balance.confirmed) - BigInt(vault.balance.reserved)))),
      h('fieldset', null, h('legend', null, `Fee rate (the policy allows up to ${governed.rules.maxFeeRate} sat/vB and ${satsText(BigInt(governed.rules.maxFeeSats))})`),
        fees.radios,
        h('label', null, h('input', { type: 'radio', name: 'fee', value: 'custom', checked: !fees.anyChecked || undefined }), ' Custom: '),
        h('input', { id: 'fee-custom', name: 'feeCustom', inputmode: 'decimal', 'aria-label': 'Custom fee rate in sat/vB', size: '6' }),
        fees.note),
      h('label', { for: 'memo' }, 'Memo (optional, up to 200 characters)'),
      h('input', { id: 'memo', name: 'memo', maxlength: '200' }),
      h('label', { for: 'expires' }, 'Expires after'),
      h('select', { id: 'expires', name: 'expires' },
        h('option', { value: '24' }, '1 day'), h('option', { value: '72', selected: true }, '3 days'), h('option', { value: '168' }, '7 days')),
      h('button', { type: 'submit', id: 'propose', class: 'primary' }, 'Sign with passkey and propose'),
      message);
    // What the inputs say now: the intent, or why it cannot be proposed.
    const readIntent = (): WithdrawalIntent | { invalid: string } => {
      const data = new FormData(form);
      try {
        const sats = parseAmount(String(data.get('amount') ?? ''), data.get('unit') === 'sats' ? 'sats' : 'btc');
        if (sats <= 0n) throw new Error('The amount must be more than zero.');
        const fee = data.get('fee') === 'custom' ? String(data.get('feeCustom') ?? '').trim() : String(data.get('fee') ?? '');
        if (!/^\d+(\.\d{1,3})?$/.test(fee) || Number(fee) <= 0) throw new Error('Choose a fee rate, or enter one in sat/vB like 3 or 1.5.');
        if (Number(fee) > Number(governed.rules.maxFeeRate)) throw new Error(`The policy caps the fee rate at ${governed.rules.maxFeeRate} sat/vB.`);
        return {
          vaultId: vault.id, network: vault.network as WithdrawalIntent['network'], requestId: crypto.randomUUID(),
          outputs: [{ address: String(data.get('destination')), amount: sats.toString() }],
          feeRate: fee, maxFee: governed.rules.maxFeeSats, memo: String(data.get('memo') ?? ''),
          expiresAt: new Date(Date.now() + Number(data.get('expires')) * 3600_000).toISOString(), policyHash: vault.policyHash,
        };
      } catch (error) {
        return { invalid: error instanceof Error ? error.message : String(error) };
      }
    };
    const showInvalid = (reason: string) => replace(message, errorBox({ code: 'INVALID_INPUT', message: reason }));
    // An error shown under the form speaks of the inputs as they were when it was shown: once any
    // input changes it is checked again, so the message always describes what is entered now
    // (the next input error, or none). Nothing is said while the passkey signs.
    let signing = false;
    let refused = false;
    const recheck = () => {
      if (signing || !refused) return;
      const current = readIntent();
      if ('invalid' in current) {
        showInvalid(current.invalid);
      } else {
        refused = false;
        replace(message);
      }
    };
    form.addEventListener('input', recheck);
    form.addEventListener('change', recheck);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (signing) return;
      const intent = readIntent();
      if ('invalid' in intent) {
        refused = true;
        showInvalid(intent.invalid);
        return;
      }
      const button = form.querySelector('button[type=submit]')!;
      signing = true;
      refused = false;
      button.setAttribute('disabled', '');
      replace(message, h('p', null, `Sign the withdrawal of ${btc(BigInt(intent.outputs[0]!.amount))} with your passkey…`));
      try {
        const statement = await signStatement(ctx.session, MESSAGE_TYPES.withdrawalPropose, intent, access.passkeys);
        const withdrawal = await api<WithdrawalView>('POST', `/api/v1/vaults/${vault.id}/withdrawals`, statement);
        ctx.navigate(`#/withdrawals/${withdrawal.id}`);
      } catch (error) {
        // The coordinator's or the passkey's refusal of these very inputs: it stands until they change.
        refused = true;
        replace(message, errorBox(error));
        button.removeAttribute('disabled');
      } finally {
        signing = false;
      }
    });
    const cooling = entries.filter((e) => e.status.state === 'cooling-off');
    return [...head, form,
      cooling.length === 0 ? null : h('p', { class: 'help' }, `${cooling.length} more address${cooling.length === 1 ? ' is' : 'es are'} cooling off: `,
        cooling.map(({ entry, status }) => h('span', null, `${entry.label} usable from `, status.state === 'cooling-off' ? time(status.usableFrom.toISOString()) : '', ' ')))];
  },
};
