// The explorer page: GraphiQL with dtc-api's token protocol.
//
// Every request carries "Authorization: Bearer <token>": the API client's session token
// until an answer carries extensions.token, then that shopper token. The newest one is kept
// (the server rotates it on login, logout and password reset, and the old one stops
// working), so one operation after another runs as one shopper. "New session" forgets the
// shopper token: the next request starts a new session with the client's token.
(() => {
  "use strict";

  const CLIENT = "dtc-explorer:client-token";
  const SHOPPER = "dtc-explorer:shopper-token";
  // The page is served at the API's own address.
  const endpoint = window.location.pathname;

  const stored = (key) => {
    try {
      return window.localStorage.getItem(key) || "";
    } catch {
      return "";
    }
  };
  const store = (key, value) => {
    try {
      if (value) window.localStorage.setItem(key, value);
      else window.localStorage.removeItem(key);
    } catch {
      // Storage refused (a private window): the page still works until it is closed.
    }
  };

  // A link printed by `dtc-api serve --demo` carries the client's session token in the
  // fragment, which browsers never send to a server: keep it, and take it off the address bar.
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  if (fragment.get("token")) {
    store(CLIENT, fragment.get("token").trim());
    store(SHOPPER, "");
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }

  const clientInput = document.getElementById("client-token");
  const secretInput = document.getElementById("shared-secret");
  const shopperOutput = document.getElementById("shopper-token");
  const newSessionButton = document.getElementById("new-session");
  let sharedSecret = ""; // kept in memory only: it grants privileged operations
  let refused = false;

  const showShopper = () => {
    const token = stored(SHOPPER);
    shopperOutput.className = refused ? "expired" : token ? "" : "none";
    shopperOutput.title = token;
    if (refused) {
      shopperOutput.textContent = "Unauthorized: press New session";
    } else if (token) {
      shopperOutput.textContent = `${token.slice(0, 10)}…`;
    } else {
      shopperOutput.textContent = "none yet: the next request starts a session";
    }
  };

  const newSession = () => {
    store(SHOPPER, "");
    refused = false;
    showShopper();
  };

  const unauthorized = (body) =>
    Array.isArray(body.errors) && body.errors.some((e) => e && e.message === "Unauthorized");

  const send = async (params) => {
    const shopper = stored(SHOPPER);
    const token = shopper || stored(CLIENT);
    const headers = {"Content-Type": "application/json", "Accept": "application/json"};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (sharedSecret) headers["x-shared-secret"] = sharedSecret;
    const response = await fetch(endpoint, {
      method: "POST", headers, body: JSON.stringify(params), credentials: "omit",
    });
    const text = await response.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return {errors: [{message: `HTTP ${response.status}: ${text.slice(0, 500)}`}]};
    }
    const next = body && body.extensions && body.extensions.token;
    if (typeof next === "string" && next) {
      store(SHOPPER, next);
      refused = false;
    } else if (body && unauthorized(body)) {
      refused = Boolean(shopper);
    }
    showShopper();
    return body;
  };

  // One request at a time, so that each is sent with the token of the answer before it.
  let queue = Promise.resolve();
  const fetcher = (params) => {
    const answer = queue.then(() => send(params));
    queue = answer.catch(() => undefined);
    return answer;
  };

  const DEFAULT_QUERY = `# dtc-api explorer
#
# Requests carry "Authorization: Bearer <token>": the API
# client's session token (above) until an answer carries
# extensions.token, then that shopper token. The newest one
# is kept, so the operations below run as one shopper.
# "New session" goes back to the client's token.
#
# Run one: put the cursor in it and press Ctrl-Enter, or
# pick it from the run button.

query Session {
  session {
    country { code }
    market { name }
    pricelist { currency { code } }
    loggedIn { email }
  }
}

mutation Register {
  registerCustomer(input: {
    password: "correct horse battery staple"
    loginOnSuccess: false
    billingAddress: {
      email: "ada@example.com"
      firstName: "Ada"
      lastName: "Lovelace"
      country: "SE"
    }
  }) {
    userErrors { message path }
  }
}

mutation Login {
  login(
    email: "ada@example.com"
    password: "correct horse battery staple"
  ) {
    loggedIn { email firstName }
    userErrors { message path }
  }
}

query Customer {
  customer { email firstName lastName }
}
`;

  const container = document.getElementById("graphiql");
  const root = ReactDOM.createRoot(container);
  const search = new URLSearchParams(window.location.search);
  let generation = 0;
  const render = () => {
    generation += 1;
    const props = {
      key: generation, // a new client token: mount anew, which fetches the schema again
      fetcher,
      defaultQuery: DEFAULT_QUERY,
      isHeadersEditorEnabled: false, // the bar above holds the only headers the API reads
    };
    // GET /graphql?query=… opened in a browser: the document in the editor.
    if (search.get("query")) props.query = search.get("query");
    if (search.get("variables")) props.variables = search.get("variables");
    if (search.get("operationName")) props.operationName = search.get("operationName");
    root.render(React.createElement(GraphiQL, props));
  };

  clientInput.value = stored(CLIENT);
  clientInput.addEventListener("change", () => {
    store(CLIENT, clientInput.value.trim());
    newSession();
    render();
  });
  secretInput.addEventListener("input", () => {
    sharedSecret = secretInput.value.trim();
  });
  newSessionButton.addEventListener("click", newSession);
  document.getElementById("tokens").addEventListener("submit", (event) => {
    event.preventDefault();
  });
  showShopper();
  render();
})();
