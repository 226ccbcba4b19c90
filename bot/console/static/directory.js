// The directory page: editors add, edit, verify and re-check service entries; operators read them.
// The API is bot/console/directory.py; a confidential address never arrives here unless the account is an editor's.

import { ApiError, api, setCsrf } from './api.js';
import { $, el, fill } from './dom.js';

const VIEWS = ['login-view', 'list-view', 'edit-view', 'recheck-view', 'coverage-view'];
const FIELDS = ['name', 'type', 'province', 'commune', 'address', 'phone', 'email', 'website', 'hours', 'note'];
const NATIONAL = '(toàn quốc)';
const state = { me: null, canEdit: false, labels: {}, editing: null };

function show(view) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  $('top').hidden = view === 'login-view';
}

const where = (entry) => entry.province || entry.country || NATIONAL;
const phones = (entry) => entry.phone.join('; ') || '—';
const statusText = (entry) => (entry.status === 'verified' ? 'Đã xác minh' : 'Chưa xác minh');
const today = () => new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);  // Vietnam's day

// The API's reasons (bot/content/directory.py, bot/content/phones.py, bot/console/directory.py) in the editor's words;
// one not listed here is shown as the API gave it.
const REASONS = [
  [/^id '(.*)' must be lower-case/, (m) => `Mã “${m[1]}” chỉ được có chữ thường không dấu, số và dấu gạch ngang (ví dụ tgpl-nghe-an).`],
  [/^id must not be empty/, () => 'Hãy nhập mã (chữ thường không dấu, số và dấu gạch ngang).'],
  [/^id '(.*)' is already used/, (m) => `Mã “${m[1]}” đã có mục khác dùng: hãy chọn mã khác.`],
  [/^phone '(.*)' has characters other than/, (m) => `Số điện thoại “${m[1]}” chỉ được có chữ số, dấu cách, dấu chấm, gạch ngang và dấu + ở đầu.`],
  [/^phone '(.*)' is an out-of-date number/, (m) => `Số “${m[1]}” đã cũ (đã đổi hoặc ngừng dùng).`],
  [/^phone '(.*)' uses a pre-2017 area code/, (m) => `Số “${m[1]}” dùng mã vùng cũ (trước 2017, số bàn nay có 11 chữ số).`],
  [/^phone '(.*)' is a foreign number/, (m) => `Số “${m[1]}” là số nước ngoài: chỉ dùng cho mục ở nước ngoài.`],
  [/^phone '(.*)' is not/, (m) => `Số “${m[1]}” không phải số điện thoại hợp lệ.`],
  [/^the same phone is listed twice/, () => 'Một số điện thoại bị nhập hai lần.'],
  [/^email '(.*)' is not/, (m) => `Email “${m[1]}” không đúng dạng.`],
  [/^website '(.*)' must be/, (m) => `Trang web “${m[1]}” phải bắt đầu bằng http:// hoặc https://.`],
  [/^an entry needs a way to reach it/, () => 'Cần ít nhất một cách liên lạc: điện thoại, email hoặc trang web.'],
  [/^a shelter's address is confidential/, () => 'Địa chỉ nhà tạm lánh phải được đánh dấu bí mật.'],
  [/^verify needs source_url/, () => 'Hãy nhập địa chỉ trang (http:// hoặc https://) nơi bạn đã kiểm tra thông tin.'],
  [/^verify needs verified_at/, () => 'Hãy chọn ngày bạn đã kiểm tra.'],
  [/^verified_at cannot be in the future/, () => 'Ngày kiểm tra không thể ở tương lai.'],
  [/^only a verified entry can be confirmed/, () => 'Chỉ xác nhận lại được mục đã xác minh: hãy xác minh kèm nguồn trước.'],
];

function reason(text) {
  const found = REASONS.map(([pattern, words]) => [text.match(pattern), words]).find(([match]) => match);
  return found ? found[1](found[0]) : text;
}

function say(id, error) {
  $(id).textContent = error instanceof ApiError
    ? `Không lưu được: ${error.message.split('; ').map(reason).join(' ')}`
    : 'Lỗi kết nối, thử lại.';
}

async function start() {
  try {
    await loggedIn(await api('GET', '/api/me'));
  } catch {
    show('login-view');
  }
}

async function loggedIn(me) {
  state.me = me;
  setCsrf(me.csrf_token);
  const roles = { supervisor: 'giám sát viên', directory_editor: 'biên tập danh bạ', operator: 'tổng đài viên' };
  $('whoami').textContent = `${me.username} · ${roles[me.role] || me.role}`;
  $('nav-console').hidden = me.role === 'directory_editor';
  const coverage = await api('GET', '/api/directory/coverage');
  const provinces = [...new Set(coverage.rows.map((row) => row.province))];
  // The two types outside the person's vocabulary (EXTRA_TYPES) come without a label: named here for the editor.
  const extra = { hotline: 'Đường dây nóng', website: 'Trang tra cứu' };
  state.labels = Object.fromEntries(coverage.types.map((t) => [t.name, t.label === t.name ? extra[t.name] || t.name : t.label]));
  const options = (names, label = (n) => n) => names.map((name) => el('option', { value: name, text: label(name) }));
  $('filter-province').append(...options(provinces));
  $('filter-type').append(...options(Object.keys(state.labels), (n) => state.labels[n]));
  $('entry-type').append(...options(Object.keys(state.labels), (n) => state.labels[n]));
  $('entry-province').append(...options(provinces.filter((p) => !p.startsWith('('))));
  await route();
}

async function route() {
  const hash = location.hash || '#list';
  if (hash === '#recheck') { show('recheck-view'); await renderRecheck(); }
  else if (hash === '#coverage') { show('coverage-view'); await renderCoverage(); }
  else { show('list-view'); await renderList(); }
  await countDue();
}

async function countDue() {
  const { entries } = await api('GET', '/api/directory/recheck');
  $('due-count').textContent = String(entries.length);
  $('due-count').classList.toggle('alert', entries.length > 0);
}

function query() {
  const params = new URLSearchParams();
  const pairs = [['province', 'filter-province'], ['type', 'filter-type'], ['status', 'filter-status'],
    ['older_than_days', 'filter-older'], ['q', 'filter-text']];
  for (const [name, id] of pairs) if ($(id).value.trim()) params.set(name, $(id).value.trim());
  return params.toString();
}

function entryRow(entry, withStatus = true) {
  const buttons = [];
  if (state.canEdit) {
    buttons.push(el('button', { type: 'button', class: 'quiet', text: 'Sửa', dataset: { action: 'edit' }, onclick: () => openEdit(entry) }));
    if (entry.status === 'verified') {
      buttons.push(el('button', { type: 'button', class: 'quiet', text: 'Vẫn đúng', dataset: { action: 'still-correct' }, onclick: () => stillCorrect(entry) }));
    }
  }
  const cells = [
    el('td', {}, entry.name, entry.confidential ? el('span', { class: 'badge', text: 'địa chỉ bí mật' }) : null),
    el('td', { text: state.labels[entry.type] || entry.type }),
    el('td', { text: where(entry) }),
    el('td', { text: phones(entry) }),
  ];
  if (withStatus) cells.push(el('td', { class: `status-${entry.status}`, text: statusText(entry) }));
  cells.push(el('td', { class: entry.due ? 'due' : '', text: entry.verified_at ? `${entry.verified_at}${entry.verified_by ? ` · ${entry.verified_by}` : ''}` : '—' }));
  cells.push(el('td', { class: 'actions' }, buttons));
  return el('tr', { dataset: { id: entry.id } }, cells);
}

async function renderList() {
  $('list-error').textContent = '';
  try {
    const data = await api('GET', `/api/directory/entries?${query()}`);
    state.canEdit = data.can_edit;
    $('add-entry').hidden = !state.canEdit;
    fill($('entries'), data.entries.map((entry) => entryRow(entry)));
    $('entries-empty').hidden = data.entries.length > 0;
  } catch (error) {
    say('list-error', error);
  }
}

async function renderRecheck() {
  const data = await api('GET', '/api/directory/recheck');
  $('recheck-hint').textContent = `đã xác minh hơn ${data.recheck_days} ngày trước`;
  fill($('recheck'), data.entries.map((entry) => entryRow(entry, false)));
  $('recheck-empty').hidden = data.entries.length > 0;
}

async function renderCoverage() {
  const data = await api('GET', '/api/directory/coverage');
  const types = data.types.map((t) => t.name);
  const cell = new Map(data.rows.map((row) => [`${row.province}|${row.type}`, row]));
  const provinces = [...new Set(data.rows.map((row) => row.province))];
  const head = el('tr', {}, el('th', { text: 'Tỉnh/thành' }), data.types.map((t) => el('th', { text: t.label })));
  const rows = provinces.map((province) => el('tr', { dataset: { province } }, el('th', { text: province }), types.map((type) => {
    const row = cell.get(`${province}|${type}`);
    return el('td', { class: row.verified ? 'some' : 'none', text: `${row.verified} / ${row.unverified} / ${row.due}` });
  })));
  fill($('coverage'), [el('thead', {}, head), el('tbody', {}, rows)]);
  const missing = data.provinces_without_verified_entry;
  $('coverage-missing').textContent = missing.length ? `${missing.length} tỉnh/thành chưa có mục nào đã xác minh: ${missing.join(', ')}.` : 'Tỉnh/thành nào cũng có ít nhất một mục đã xác minh.';
}

function openEdit(entry) {
  state.editing = entry;
  $('edit-title').textContent = entry ? `Sửa: ${entry.name}` : 'Thêm mục mới';
  $('entry-id').value = entry ? entry.id : '';
  $('entry-id').disabled = Boolean(entry);
  for (const name of FIELDS) {
    const value = entry ? entry[name] : '';
    $(`entry-${name}`).value = Array.isArray(value) ? value.join('; ') : (value ?? '');
  }
  $('entry-confidential').checked = Boolean(entry && entry.confidential);
  $('edit-error').textContent = '';
  $('edit-status').textContent = entry ? `${statusText(entry)}${entry.verified_at ? ` (${entry.verified_at})` : ''}` : '';
  $('verify-form').hidden = !entry;
  $('verify-source').value = entry && entry.source_url.length ? entry.source_url.join('; ') : '';
  $('verify-date').value = today();
  $('verify-error').textContent = '';
  show('edit-view');
  $(entry ? 'entry-name' : 'entry-id').focus();
}

function formBody() {
  const body = {};
  for (const name of FIELDS) {
    const value = $(`entry-${name}`).value.trim();
    body[name] = name === 'phone' ? value.split(';').map((p) => p.trim()).filter(Boolean) : (value || null);
  }
  body.confidential = $('entry-confidential').checked;
  return body;
}

$('edit-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('edit-error').textContent = '';
  try {
    const editing = state.editing;
    const result = editing
      ? await api('POST', `/api/directory/entries/${encodeURIComponent(editing.id)}`, formBody())
      : await api('POST', '/api/directory/entries', { id: $('entry-id').value.trim(), ...formBody() });
    openEdit(result.entry);
    $('edit-status').textContent = result.unverified_again
      ? 'Đã lưu. Thông tin đã thay đổi nên mục trở lại “chưa xác minh”: hãy kiểm tra và xác minh lại.'
      : `Đã lưu — ${statusText(result.entry)}.`;
  } catch (error) {
    say('edit-error', error);
  }
});

$('verify-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('verify-error').textContent = '';
  try {
    const sources = $('verify-source').value.split(';').map((s) => s.trim()).filter(Boolean);
    const result = await api('POST', `/api/directory/entries/${encodeURIComponent(state.editing.id)}/verify`,
      { source_url: sources, verified_at: $('verify-date').value });
    openEdit(result.entry);
    $('edit-status').textContent = `Đã xác minh (${result.entry.verified_at}, ${result.entry.verified_by}). Người nhắn sẽ nhận được mục này ngay.`;
  } catch (error) {
    say('verify-error', error);
  }
});

async function stillCorrect(entry) {
  try {
    await api('POST', `/api/directory/entries/${encodeURIComponent(entry.id)}/still-correct`, {});
    await route();
  } catch (error) {
    say(location.hash === '#recheck' ? 'recheck-error' : 'list-error', error);
  }
}

$('entry-cancel').addEventListener('click', () => route());
$('add-entry').addEventListener('click', () => openEdit(null));
$('filters').addEventListener('input', () => renderList());
$('filters').addEventListener('submit', (event) => event.preventDefault());
window.addEventListener('hashchange', () => route());

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('login-error').textContent = '';
  const body = { username: $('login-username').value, password: $('login-password').value };
  if (!$('login-code-label').hidden) body.code = $('login-code').value;
  try {
    const me = await api('POST', '/api/login', body);
    $('login-password').value = '';
    await loggedIn(me);
  } catch (error) {
    if (error instanceof ApiError && error.message === 'second factor code required') {
      $('login-code-label').hidden = false;
      $('login-error').textContent = 'Nhập mã 6 số trong ứng dụng xác thực (hoặc một mã khôi phục).';
      return;
    }
    $('login-error').textContent = error instanceof ApiError ? 'Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đang bị khoá.' : 'Lỗi kết nối, thử lại.';
  }
});

$('logout').addEventListener('click', async () => {
  try { await api('POST', '/api/logout', {}); } catch { /* already out */ }
  location.reload();
});

start();
