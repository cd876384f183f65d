import { synthExample } from '../synth';

synthExample('existing-vpc');
