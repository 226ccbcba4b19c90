// The supervisor's page: who waits and how long, who is on duty, today's outcomes, referrals, the outreach campaigns.

import { api } from './api.js';
import { renderCampaigns } from './campaigns.js';
import { $, el, fill } from './dom.js';
import { OUTCOME, RISK, duration } from './format.js';

export async function renderStats() {
  const stats = await api('GET', '/api/stats');
  const byRisk = Object.entries(stats.waiting_by_risk).map(([risk, count]) => `${RISK[risk] || risk}: ${count}`).join(', ');
  const online = stats.operators_online.map((o) => o.alias ? `${o.username} (${o.alias})` : o.username).join(', ');
  const rows = [
    ['Đang chờ', `${stats.waiting}${byRisk ? ` — ${byRisk}` : ''}`],
    ['Chờ lâu nhất', stats.waiting ? duration(stats.longest_wait_seconds) : '—'],
    ['Đang trò chuyện', String(stats.in_conversation)],
    [`Tổng đài viên trực tuyến (${stats.operators_online.length})`, online || 'Không có ai'],
    ['Danh bạ: mục cần kiểm tra lại', String(stats.directory_due)],
    ...Object.entries(stats.outcomes_today).map(([name, count]) => [`Hôm nay: ${OUTCOME[name] || name}`, String(count)]),
  ];
  fill($('stats'), rows.flatMap(([name, value]) => [el('dt', { text: name }), el('dd', { text: value })]));
  await renderReferralStats();
  await renderCampaigns();
}

// Referrals per organisation, type and province (bot/console/referrals.py): counts only, under 5 shown as "<5".
const COLUMNS = [
  ['proposed', 'Đề nghị'], ['share_accepted', 'Đồng ý chia sẻ'], ['refused', 'Không đồng ý'], ['expired', 'Hết hạn'],
  ['contacted', 'Đã liên hệ'], ['helped', 'Đang/đã hỗ trợ'], ['declined', 'Tổ chức từ chối'],
  ['median_days_to_first_contact', 'Số ngày tới lần liên hệ đầu (trung vị)'],
  ['follow_up_helped', 'Hỏi thăm: đã được giúp'], ['follow_up_not_reached', 'Hỏi thăm: chưa liên hệ được'],
  ['follow_up_not_needed', 'Hỏi thăm: không cần nữa'], ['follow_up_skipped', 'Hỏi thăm: không gửi được'],
];

function cells(row) {
  const value = (name) => (name.startsWith('follow_up_') ? row.follow_up[name.slice(10)] : row[name]);
  return COLUMNS.map(([name]) => el('td', { text: value(name) ?? '—' }));
}

async function renderReferralStats() {
  const numbers = await api('GET', '/api/referrals/stats');
  const head = el('tr', {}, el('th', { text: '' }), ...COLUMNS.map(([, label]) => el('th', { text: label })));
  const rows = [el('tr', { class: 'total' }, el('th', { text: 'Tổng' }), ...cells(numbers.total))];
  const group = (title, items, name) => {
    if (!items.length) return;
    rows.push(el('tr', {}, el('th', { colspan: String(COLUMNS.length + 1), class: 'group', text: title })));
    for (const item of items) rows.push(el('tr', {}, el('th', { text: name(item) }), ...cells(item)));
  };
  group('Theo tổ chức', numbers.by_org, (item) => item.name);
  group('Theo loại dịch vụ', numbers.by_type, (item) => item.label);
  group('Theo tỉnh/thành', numbers.by_province, (item) => item.province);
  fill($('referral-stats'), [el('thead', {}, head), el('tbody', {}, rows)]);
}
