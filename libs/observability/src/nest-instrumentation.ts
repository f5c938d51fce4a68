import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import type { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';

/**
 * @opentelemetry/instrumentation-nestjs-core declares @nestjs/core <12, so it
 * would silently skip Nest 12. The two files it patches — nest-factory.js
 * (NestFactoryStatic.create) and router/router-execution-context.js
 * (RouterExecutionContext.create) — have the same shape in 12, so the same
 * patches apply; this widens the version range and changes nothing else.
 * Drop it once the instrumentation lists 12.
 */
export class Nest12Instrumentation extends NestInstrumentation {
  override init(): InstrumentationNodeModuleDefinition {
    const module = super.init();
    const versions = ['>=4.0.0 <13'];
    module.supportedVersions = versions;
    for (const file of module.files) file.supportedVersions = versions;
    return module;
  }
}
