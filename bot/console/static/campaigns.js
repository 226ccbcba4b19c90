// The supervisor's campaign section: each outreach campaign with its counts (totals; 1-4 arrive as "<5") as bars,
// and a form to create one. Everything goes in as text.

import { api } from './api.js';
import { $, el, fill } from './dom.js';

const METRIC = {
  started: 'Bắt đầu trò chuyện',
  answered: 'Nhận được câu trả lời',
  job_check: 'Kiểm tra lời mời việc làm',
  service_search: 'Tìm dịch vụ hỗ trợ',
  escalated: 'Chuyển nhân viên hỗ trợ',
  referred: 'Chuyển tuyến',
};

// "<5" is drawn as a short bar: a count is there, how many is not shown.
const size = (value) => (typeof value === 'number' ? value : 2.5);

function bars(totals) {
  const largest = Math.max(5, ...Object.values(totals).map(size));
  return el('dl', { class: 'bars' }, Object.entries(totals).flatMap(([metric, value]) => [
    el('dt', { text: METRIC[metric] || metric }),
    el('dd', {},
      el('progress', { max: String(largest), value: String(size(value)), 'aria-label': METRIC[metric] || metric }),
      el('span', { class: 'count', text: String(value) })),
  ]));
}

function dates(campaign) {
  if (!campaign.start && !campaign.end) return '';
  return `${campaign.start || '…'} → ${campaign.end || '…'}`;
}

export async function renderCampaigns() {
  const data = await api('GET', '/api/campaigns');
  if (!data.campaigns.length) {
    fill($('campaigns'), [el('li', { class: 'empty', text: 'Chưa có chiến dịch nào.' })]);
    return;
  }
  fill($('campaigns'), data.campaigns.map((campaign) => el('li', { class: campaign.active ? '' : 'disabled' },
    el('strong', { text: `${campaign.name} (${campaign.code})` }),
    el('span', { class: 'meta', text: [campaign.team, campaign.place, dates(campaign), campaign.active ? '' : 'đã tắt']
      .filter(Boolean).join(' · ') }),
    bars(campaign.totals))));
}

$('campaign-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = {};
  for (const name of ['code', 'name', 'team', 'place', 'start', 'end', 'greeting']) body[name] = $(`campaign-${name}`).value.trim();
  $('campaign-error').textContent = '';
  try {
    await api('POST', '/api/campaigns', body);
    $('campaign-form').reset();
    await renderCampaigns();
  } catch (error) {
    $('campaign-error').textContent = error.message;
  }
});
