export { startTestApp, type TestApp, type TestAppOptions, type TestRequest, type TestResponse } from './test-app.js';
