// Starts the documentation page: the contract this server was built with, and "Try it
// out" sending requests to this server whatever port or host it was reached on (the
// contract names http://127.0.0.1:8080, the default).
'use strict';
(function start() {
  const here = window.location.origin;
  window.ui = SwaggerUIBundle({
    url: '/docs/openapi.yaml',
    dom_id: '#docs',
    deepLinking: true,
    tryItOutEnabled: false,
    validatorUrl: null, // never ask an online validator
    requestInterceptor(request) {
      // the page's own fetches and the API calls both go to this origin
      const url = new URL(request.url, here);
      if (url.origin !== here && /^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(url.origin)) {
        request.url = here + url.pathname + url.search;
      }
      return request;
    },
  });
}());
