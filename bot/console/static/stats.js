// The supervisor's page: who waits and how long, who is on duty, today's outcomes, the outreach campaigns.

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
  await renderCampaigns();
}
