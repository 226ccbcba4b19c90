// The supervisor's campaign section: each outreach campaign with its counts (totals; 1-4 arrive as "<5") as bars,
// its link with the verification sentence and QR codes to download, a two-step "disable" (no native dialog: a
// second press within a few seconds confirms), and a form to create one. Everything goes in as text.

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

const CONFIRM_MS = 5000;
const campaignPath = (code) => `/api/campaigns/${encodeURIComponent(code)}`;

async function copy(input, status) {
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    // No clipboard API (plain http, an old browser): select the text so Ctrl+C copies it.
    input.select();
    document.execCommand('copy');
  }
  status.textContent = 'Đã sao chép.';
}

function copyable(label, value, className, multiline = false) {
  const input = multiline
    ? el('textarea', { class: className, readonly: true, rows: '4', 'aria-label': label, text: value })
    : el('input', { class: className, readonly: true, value, 'aria-label': label });
  const status = el('span', { class: 'status' });
  return el('div', { class: 'copyable' },
    el('label', { text: label }), input,
    el('button', { type: 'button', class: 'quiet', text: 'Sao chép', onclick: () => copy(input, status) }), status);
}

// The link, the Zalo line and the verification sentence, fetched when the supervisor opens the panel.
async function showMaterial(campaign, panel) {
  const body = panel.querySelector('.material');
  if (body.dataset.loaded) return;
  body.dataset.loaded = '1';
  try {
    const link = await api('GET', `${campaignPath(campaign.code)}/link`);
    const qr = `${campaignPath(campaign.code)}/qr`;
    fill(body, [
      copyable('Đường dẫn Telegram', link.telegram, 'link'),
      copyable('Câu xác minh in kèm (kênh chính thức)', link.verification, 'verification', true),
      el('p', { class: 'zalo', text: link.zalo }),
      el('p', { class: 'meta', text: link.zalo_note }),
      el('p', {},
        el('a', { href: `${qr}.png`, download: `caunoi-${campaign.code}.png`, class: 'qr-png', text: 'Tải mã QR (PNG)' }),
        ' · ',
        el('a', { href: `${qr}.svg`, download: `caunoi-${campaign.code}.svg`, class: 'qr-svg', text: 'Tải mã QR (SVG, để in)' }),
        ' · ',
        el('a', { href: `${campaignPath(campaign.code)}/poster.pdf`, download: `caunoi-${campaign.code}-a5.pdf`, class: 'poster',
          text: 'Tải áp phích A5 (PDF)' })),
      el('img', { src: `${qr}.svg`, alt: `Mã QR của ${link.telegram}`, class: 'qr', width: '160', height: '160' }),
    ]);
  } catch (error) {
    delete body.dataset.loaded;
    fill(body, [el('p', { class: 'error', role: 'alert', text: error.message })]);
  }
}

function disableButton(campaign, status) {
  let armed = null;
  const button = el('button', { type: 'button', class: 'quiet disable', text: 'Tắt chiến dịch' });
  button.addEventListener('click', async () => {
    if (!armed) {
      button.textContent = 'Bấm lần nữa để tắt';
      armed = setTimeout(() => { armed = null; button.textContent = 'Tắt chiến dịch'; }, CONFIRM_MS);
      return;
    }
    clearTimeout(armed);
    armed = null;
    button.disabled = true;
    try {
      await api('POST', `${campaignPath(campaign.code)}/disable`);
      await renderCampaigns();
    } catch (error) {
      button.disabled = false;
      button.textContent = 'Tắt chiến dịch';
      status.textContent = error.message;
    }
  });
  return button;
}

function item(campaign) {
  const status = el('p', { class: 'error', role: 'alert' });
  const panel = el('details', { class: 'material-panel' },
    el('summary', { text: 'Đường dẫn, mã QR, câu xác minh' }),
    el('div', { class: 'material' }));
  panel.addEventListener('toggle', () => { if (panel.open) showMaterial(campaign, panel); });
  return el('li', { class: campaign.active ? '' : 'disabled', dataset: { code: campaign.code } },
    el('strong', { text: `${campaign.name} (${campaign.code})` }),
    el('span', { class: 'meta', text: [campaign.team, campaign.place, dates(campaign), campaign.active ? '' : 'đã tắt']
      .filter(Boolean).join(' · ') }),
    bars(campaign.totals),
    panel,
    campaign.active ? disableButton(campaign, status) : null,
    status);
}

export async function renderCampaigns() {
  const data = await api('GET', '/api/campaigns');
  if (!data.campaigns.length) {
    fill($('campaigns'), [el('li', { class: 'empty', text: 'Chưa có chiến dịch nào.' })]);
    return;
  }
  fill($('campaigns'), data.campaigns.map(item));
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
