export { APP_IMAGE, deployedServices, type DeployedService } from './services.js';
export { commandLine, interpolate, parseCompose, serviceDependencies, serviceEnvironment, type ComposeFile, type ComposeService } from './compose.js';
export { parseDockerfile, stageEnv, type DockerInstruction, type DockerStage } from './dockerfile.js';
export { PRODUCTION_TOPOLOGY_HEADING, codeIn, extractSection, parseTable } from './readme.js';
export { parseEnvExample, type EnvExampleEntry } from './env-example.js';
export { listWorkspacePackages, readRepoFile, repoRoot, type WorkspacePackage } from './workspace.js';
