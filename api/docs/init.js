// Renders the shop's OpenAPI document with Swagger UI. It is a file of its
// own so that the page's Content-Security-Policy can refuse inline scripts.
window.ui = SwaggerUIBundle({
  // The YAML rather than the JSON, whose keys are sorted: the page lists
  // operations in the order the document gives them.
  url: "/openapi.yaml",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
  // Each operation shows its schemas; the index of them all is left out.
  defaultModelsExpandDepth: -1,
  displayRequestDuration: true,
  // Swagger UI would otherwise send the document to validator.swagger.io.
  validatorUrl: null,
});
