// Referrals in the conversation panel: propose one to a partner organisation (the bot then asks the person whether they
// agree, showing them the summary word for word), and see what became of this conversation's referrals.
// The API is bot/console/referrals.py.

import { ApiError, api, conversationPath } from './api.js';
import { $, el, fill } from './dom.js';

export const STATUS = {
  proposed: 'Đang chờ người nhắn trả lời', sent: 'Đã gửi (người nhắn đồng ý)', refused: 'Người nhắn không đồng ý',
  expired: 'Hết hạn (không trả lời)', received: 'Tổ chức đã nhận', contacted: 'Đã liên hệ được',
  helping: 'Đang hỗ trợ', closed: 'Đã xong', declined: 'Tổ chức từ chối',
  // The check-in after the referral (bot/gateway/followups.py): the answer or the reason is in the note.
  follow_up_asked: 'Bot đã hỏi thăm người nhắn', follow_up_answered: 'Người nhắn trả lời hỏi thăm',
  follow_up_skipped: 'Không hỏi thăm được',
};

const REASONS = [
  [/only the operator holding/, 'Chỉ người đang giữ cuộc trò chuyện (hoặc giám sát viên) mới giới thiệu được.'],
  [/already waiting/, 'Người nhắn đang có một câu hỏi đồng ý chưa trả lời.'],
  [/belongs to no partner organisation/, 'Mục này chưa thuộc tổ chức đối tác nào.'],
  [/not verified/, 'Mục này chưa được xác minh.'],
  [/summary must not be empty/, 'Hãy viết đoạn tóm tắt người nhắn sẽ thấy.'],
  [/summary longer/, 'Tóm tắt quá dài (tối đa 600 ký tự).'],
  [/follow_up_days/, 'Số ngày hỏi thăm phải từ 1 đến 90.'],
  [/reply window closed/, 'Đã quá 48 giờ kể từ tin nhắn cuối: Zalo không cho gửi câu hỏi nữa.'],
];

const state = { conversation: null, loaded: false };

function reason(error) {
  if (!(error instanceof ApiError)) return 'Không kết nối được máy chủ.';
  const found = REASONS.find(([pattern]) => pattern.test(error.message));
  return found ? found[1] : 'Không thực hiện được. Vui lòng thử lại.';
}

async function loadOrganisations() {
  if (state.loaded) return;
  const { organisations, follow_up_days: days } = await api('GET', '/api/referrals/organisations');
  const select = $('referral-entry');
  for (const org of organisations) {
    const group = el('optgroup', { label: org.name });
    for (const entry of org.entries) {
      group.append(el('option', { value: entry.id, text: `${entry.name}${entry.province ? ` (${entry.province})` : ''}` }));
    }
    select.append(group);
  }
  $('referral-days').value = String(days);
  $('referral-none').hidden = organisations.length > 0;
  state.loaded = true;
}

// `mayPropose`: the operator holds the conversation, or is a supervisor (the API refuses anyone else).
export async function renderReferrals(conversationId, mayPropose = true) {
  state.conversation = conversationId;
  $('referral-form').hidden = !mayPropose;
  await loadOrganisations().catch(() => null);
  const { referrals } = await api('GET', `/api/referrals?conversation=${encodeURIComponent(conversationId)}`);
  if (state.conversation !== conversationId) return;
  fill($('referrals'), referrals.map((r) => el('li', { class: `referral ${r.status}`, dataset: { id: r.id } },
    el('strong', { text: r.org_name }), ' — ', el('span', { class: 'referral-status', text: STATUS[r.status] || r.status }),
    el('div', { class: 'hint', text: `Tóm tắt: ${r.summary}` }), checkIn(r))));
}

// What became of the check-in (bot/gateway/followups.py): the person's answer, or why the bot could not ask.
const ANSWERS = { helped: 'đã được giúp', not_reached: 'chưa liên hệ được', not_needed: 'không cần nữa' };

function checkIn(referral) {
  if (referral.follow_up_answer) {
    return el('div', { class: 'referral-check-in', text: `Hỏi thăm: người nhắn trả lời "${ANSWERS[referral.follow_up_answer] || referral.follow_up_answer}".` });
  }
  if (referral.follow_up_skipped) {
    const skipped = referral.history.filter((h) => h.status === 'follow_up_skipped').pop();
    return el('div', { class: 'referral-check-in', text: (skipped && skipped.note) || STATUS.follow_up_skipped });
  }
  return null;
}

export function wireReferrals(current) {
  $('referral-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = current();
    if (!id) return;
    $('referral-error').textContent = '';
    const entry = $('referral-entry').value;
    if (!entry) { $('referral-error').textContent = 'Hãy chọn nơi giới thiệu.'; return; }
    try {
      const { delivered } = await api('POST', `${conversationPath(id)}/referrals`, {
        entry_id: entry, summary: $('referral-summary').value, follow_up_days: Number($('referral-days').value),
      });
      $('referral-summary').value = '';
      $('referral-error').textContent = delivered ? '' : 'Câu hỏi không đến được người nhắn nên chưa chia sẻ gì. Bạn có thể thử lại sau.';
      await renderReferrals(id);
    } catch (error) {
      $('referral-error').textContent = reason(error);
    }
  });
}
