// A minimal Backstage backend for scaffolder's tests: the catalog plugin only, in-memory
// SQLite, and one module that records every processing error to a JSON-lines file, so a test
// can assert there were none (stock Backstage logs them at debug level only).
//
// Run: node index.js --config app-config.yaml --config <the test's config>
// The test's config sets scaffolderTest.errorsFile, the port and catalog.locations.
'use strict';

const fs = require('node:fs');
const { createBackend } = require('@backstage/backend-defaults');
const { coreServices, createBackendModule } = require('@backstage/backend-plugin-api');
const { catalogProcessingExtensionPoint } = require('@backstage/plugin-catalog-node');

function refOf(entity) {
  const kind = String(entity?.kind ?? 'unknown').toLowerCase();
  const namespace = entity?.metadata?.namespace ?? 'default';
  return `${kind}:${namespace}/${entity?.metadata?.name ?? 'unknown'}`;
}

const recordErrors = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'scaffolder-test-errors',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        processing: catalogProcessingExtensionPoint,
      },
      async init({ config, logger, processing }) {
        const file = config.getString('scaffolderTest.errorsFile');
        fs.writeFileSync(file, '');
        processing.setOnProcessingErrorHandler(async ({ unprocessedEntity, errors }) => {
          const annotations = unprocessedEntity?.metadata?.annotations ?? {};
          for (const error of errors) {
            const record = {
              entity: refOf(unprocessedEntity),
              location: annotations['backstage.io/managed-by-origin-location'] ?? null,
              target: unprocessedEntity?.spec?.target ?? null,
              name: error?.name ?? 'Error',
              message: String(error?.message ?? error),
              cause: error?.cause ? String(error.cause.message ?? error.cause) : null,
            };
            logger.warn(`processing error: ${record.entity}: ${record.message}`);
            fs.appendFileSync(file, JSON.stringify(record) + '\n');
          }
        });
      },
    });
  },
});

const backend = createBackend();
backend.add(require('@backstage/plugin-catalog-backend'));
backend.add(recordErrors);
backend.start();
