// The place on each page where API errors are shown (never swallowed). A 401 offers a
// field for the access token (DESIGN §7), kept in localStorage.

import {h, replace} from './dom.js';
import {setToken, token} from './api.js';

export function alertArea() {
  const el = h('div', {class: 'alerts', role: 'alert', 'aria-live': 'assertive'});
  const show = (err, context) => {
    const code = err && err.code ? err.code : 'error';
    const message = err && err.message ? err.message : String(err);
    const box = h('div', {class: 'alert'},
      h('p', {}, h('strong', {}, context ? `${context}: ` : ''), h('code', {class: 'err-code'}, code), ' ', message),
      h('button', {type: 'button', class: 'link', onclick: () => box.remove()}, 'Dismiss'));
    if (err && err.httpStatus === 401) {
      const input = h('input', {type: 'password', id: 'token-input', autocomplete: 'off', value: token()});
      box.append(h('form', {class: 'token-form', onsubmit: (e) => {
        e.preventDefault();
        setToken(input.value.trim());
        location.reload();
      }}, h('label', {for: 'token-input'}, 'Access token'), input, h('button', {type: 'submit'}, 'Save token')));
    }
    replace(el, box);
    el.scrollIntoView({block: 'nearest'});
  };
  return {el, show, clear: () => el.replaceChildren()};
}
