export { cycleWorkflow } from './cycle';
export { divisionWorkflow } from './division';
