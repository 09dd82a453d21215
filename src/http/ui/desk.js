// Sampark's case page, made a little better by a script; it works without
// one. (Served as /desk.js; the page's Content-Security-Policy allows
// scripts from Sampark's own origin only, none inline.)
//
// - The PIN look-up asks /api/v1/pins/{pin} and fills the post offices in
//   place: the page does not reload, so nothing typed is lost. Without the
//   script, the button posts the form to /cases/{id}/pin, which shows the
//   page again with the form as typed.
// - A voice message the player cannot play shows its message.
(function () {
  'use strict';

  function show(result, kind, text) {
    result.className = kind;
    result.textContent = text;
    result.hidden = false;
  }

  // The post-office field becomes a list of the PIN's offices, keeping
  // what was chosen or typed when it is one of them.
  function offer(offices) {
    var field = document.getElementById('post_office');
    if (!field || offices.length === 0) return;
    var keep = field.value;
    var list = document.createElement('select');
    list.id = field.id;
    list.name = field.name;
    offices.forEach(function (office) {
      var option = document.createElement('option');
      option.textContent = office;
      option.selected = office === keep;
      list.appendChild(option);
    });
    field.replaceWith(list);
  }

  function summary(pin) {
    return 'ज़िला · District: ' + (pin.district_name || '—') + ' · राज्य · State: ' +
      (pin.state_name || '—') + ' · ' + pin.offices.length + ' डाकघर · post offices';
  }

  function lookUp(input, result) {
    var pin = input.value.trim();
    show(result, 'muted', 'खोज रहे हैं… · Looking up…');
    fetch('/api/v1/pins/' + encodeURIComponent(pin || '-'), {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (answer.ok) {
        offer(answer.body.offices);
        show(result, 'notice', summary(answer.body));
      } else {
        show(result, 'error', answer.body.error || 'खोज नहीं हो सकी · The look-up failed.');
      }
    }).catch(function () {
      show(result, 'error', 'खोज नहीं हो सकी · The look-up failed: check the connection and try again.');
    });
  }

  var button = document.getElementById('pin-look-up');
  var input = document.getElementById('pin_code');
  var result = document.getElementById('pin-result');
  if (button && input && result && window.fetch) {
    button.addEventListener('click', function (event) {
      event.preventDefault();
      lookUp(input, result);
    });
  }

  ['voice-message', 'place-message'].forEach(function (id) {
    var player = document.getElementById(id);
    var failed = document.getElementById(id + '-error');
    if (player && failed) {
      player.addEventListener('error', function () { failed.hidden = false; });
    }
  });
})();
