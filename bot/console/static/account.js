// The operator's own account: the second factor (QR code, then recovery codes shown once), their password,
// their sessions (sign out everywhere else), and for supervisors the choice to require a second factor of everyone.

import { ApiError, api, renewing, setCsrf } from './api.js';
import { $, el, fill, maskAll } from './dom.js';
import { time } from './format.js';

const REASONS = [
  [/too common/, 'Mật khẩu này quá phổ biến (có trong danh sách mật khẩu bị lộ). Hãy chọn mật khẩu khác, ví dụ một câu dài dễ nhớ.'],
  [/only the account's or the service's name/, 'Mật khẩu không được chỉ là tên tài khoản hay tên dịch vụ.'],
  [/at least/, 'Mật khẩu mới cần ít nhất 12 ký tự.'],
  [/at most/, 'Mật khẩu mới dài quá 128 ký tự.'],
  [/is the current one/, 'Mật khẩu mới phải khác mật khẩu hiện tại.'],
  [/current password is wrong/, 'Mật khẩu hiện tại không đúng.'],
  [/wrong code/, 'Mã không đúng. Hãy nhập mã mới nhất trong ứng dụng (và kiểm tra giờ của điện thoại).'],
  [/too many failed/, 'Sai quá nhiều lần. Vui lòng thử lại sau.'],
];

export function translateAccount(error) {
  if (!(error instanceof ApiError)) return 'Không kết nối được máy chủ.';
  const found = REASONS.find(([pattern]) => pattern.test(error.message));
  return found ? found[1] : `Lỗi: ${error.message}`;
}

const STRENGTH = ['Rất yếu', 'Yếu', 'Tạm được', 'Mạnh', 'Rất mạnh'];

export async function renderAccount(me) {
  $('enrol-needed').hidden = !me.must_enrol;
  $('password-needed').hidden = !me.must_change_password;
  if (me.must_change_password && document.activeElement === document.body) $('password-current').focus();
  $('second-factor-state').textContent = me.second_factor
    ? 'Đã bật: khi đăng nhập cần mật khẩu và mã trong ứng dụng xác thực. Mất điện thoại: dùng một mã khôi phục, hoặc nhờ quản trị chạy "caunoi operator reset-2fa".'
    : 'Chưa bật. Xác thực hai lớp giữ an toàn cho người dùng ngay cả khi mật khẩu bị lộ.';
  $('totp-start').hidden = me.second_factor;
  $('require-2fa-label').hidden = me.role !== 'supervisor';
  $('require-2fa').checked = Boolean(me.second_factor_required);
  await renderSessions();
}

async function renderSessions() {
  const { sessions } = await api('GET', '/api/account/sessions');
  fill($('sessions-list'), sessions.map((session) => el('li', {
    text: `Bắt đầu ${time(session.started)} · dùng lần cuối ${time(session.last_seen)}${session.current ? ' · phiên này' : ''}`,
  })));
}

// `changed(me)`: the session was replaced (new cookie, new CSRF token) or the account changed; the app re-reads it.
export function wireAccount(changed, handle) {
  $('totp-start').addEventListener('click', async () => {
    $('totp-error').textContent = '';
    try {
      const setup = await api('POST', '/api/account/second-factor/totp');
      $('totp-qr').src = setup.qr;
      $('totp-secret').textContent = setup.secret;
      $('totp-enrol').hidden = false;
      $('totp-code').focus();
    } catch (error) {
      handle(error, 'totp-error');
    }
  });
  $('totp-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('totp-error').textContent = '';
    try {
      const { recovery_codes: codes } = await api('POST', '/api/account/second-factor/totp/confirm', { code: $('totp-code').value });
      $('totp-code').value = '';
      $('totp-enrol').hidden = true;
      $('totp-qr').removeAttribute('src');
      $('totp-secret').textContent = '';
      fill($('recovery-codes'), codes.map((code) => el('li', { text: `${code.slice(0, 5)}-${code.slice(5)}` })));
      $('recovery').hidden = false;
      await changed(await api('GET', '/api/me'));
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) $('totp-error').textContent = translateAccount(error);
      else handle(error, 'totp-error');
    }
  });
  $('require-2fa').addEventListener('change', async () => {
    try {
      await api('POST', '/api/settings/second-factor', { required: $('require-2fa').checked });
      await changed(await api('GET', '/api/me'));  // the supervisor's own account may now have to enrol too
    } catch (error) {
      handle(error, 'totp-error');
    }
  });
  // The meter (ASVS 2.1.8): the server's zxcvbn score, asked for once the typing pauses; the newest answer wins.
  let asked = 0;
  let pause = null;
  // A new try: the answer to the last one no longer applies.
  for (const id of ['password-current', 'password-new', 'password-again']) {
    $(id).addEventListener('input', () => { $('password-error').textContent = ''; });
  }
  $('password-new').addEventListener('input', () => {
    clearTimeout(pause);
    const password = $('password-new').value;
    if (!password) {
      $('password-strength').value = 0;
      $('password-strength-text').textContent = '';
      return;
    }
    pause = setTimeout(async () => {
      const mine = ++asked;
      try {
        const { score, problem } = await api('POST', '/api/account/password/strength', { password });
        if (mine !== asked) return;
        $('password-strength').value = score;
        $('password-strength-text').textContent = problem
          ? translateAccount(new ApiError(400, problem))
          : `Độ mạnh: ${STRENGTH[score]}${score < 3 ? ' — thêm vài từ nữa sẽ khó đoán hơn.' : '.'}`;
      } catch (error) {
        if (mine === asked) $('password-strength-text').textContent = translateAccount(error);
      }
    }, 300);
  });
  $('password-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('password-error').textContent = '';
    $('password-status').textContent = '';
    if ($('password-new').value !== $('password-again').value) {
      $('password-error').textContent = 'Hai lần nhập mật khẩu mới không giống nhau.';
      return;
    }
    try {
      const me = await renewing(api('POST', '/api/account/password', {
        current_password: $('password-current').value, new_password: $('password-new').value,
      }));
      for (const id of ['password-current', 'password-new', 'password-again']) $(id).value = '';
      $('password-strength').value = 0;
      $('password-strength-text').textContent = '';
      maskAll($('password-form'));
      setCsrf(me.csrf_token);
      $('password-status').textContent = 'Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc.';
      await changed(me);
    } catch (error) {
      if (error instanceof ApiError && [400, 429].includes(error.status)) $('password-error').textContent = translateAccount(error);
      else handle(error, 'password-error');
    }
  });
  $('end-sessions').addEventListener('click', async () => {
    try {
      const me = await renewing(api('POST', '/api/account/sessions/end-all'));
      setCsrf(me.csrf_token);
      $('sessions-status').textContent = 'Các phiên khác đã kết thúc.';
      await changed(me);
    } catch (error) {
      handle(error, 'sessions-status');
    }
  });
}
