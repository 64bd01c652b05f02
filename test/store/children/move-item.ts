// Another process of the service (a second worker, the CLI) moving an item of a cycle.
import { moveItem } from '../../../store/snapshot';

const [dataDir, cycleId, no, to] = process.argv.slice(2);
void moveItem(dataDir!, cycleId!, { no: Number(no), to: to!, by: 'test' }).then((moved) => console.log(JSON.stringify(moved)));
