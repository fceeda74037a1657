// The API documentation: Swagger UI over the OpenAPI 3.0 rendering of this server's API, with
// every asset served by this server (no validator badge, nothing fetched from elsewhere).
"use strict";
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi-3.0.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    tryItOutEnabled: false,
  });
});
