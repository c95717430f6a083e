import { createHostMapMatcher } from '../../../../src/dataplane/router/host-map-matcher.js';
import { runMatcherConformance } from './conformance.js';

runMatcherConformance('host-map', createHostMapMatcher);
