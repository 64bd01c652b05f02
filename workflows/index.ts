export { cycleWorkflow } from './cycle';
export { divisionWorkflow } from './division';
export { launcherWorkflow } from './launcher';
export { archiveWorkflow } from './archive';
