// The umbrella module: `import TMWS` brings storage, RBAC and license operations.
@_exported import TMWSLicenseCore
@_exported import TMWSLicenseVerifier
@_exported import TMWSRBAC
@_exported import TMWSStorage
