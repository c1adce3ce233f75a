package api

// Installer downloads are saved under names that differ by platform, so
// that downloading two platforms of one installer into one directory keeps
// both files:
//
//	jumpgate-jc-<installer-id>-<platform>.<ext>    a Jump Client installer
//	jumpgate-jumpoint-<code-name>-<platform>.<ext> a Jumpoint's installer
//	jumpgate-jc-generic-<platform>.<ext>           the generic installer
//
// The appliance serves them with these names in Content-Disposition and in
// the downloads of an installer; the provider, the operator and the docs use
// the same functions.

// InstallerFileExt is the file name extension, without the dot, of an
// installer for platform: "exe" for windows-amd64, and "bin" (the
// self-extracting sh installer) for Linux, Raspberry Pi and macOS. It is
// the one place that decides the extension.
func InstallerFileExt(platform string) string {
	if platform == PlatformWindowsAMD64 {
		return "exe"
	}
	return "bin"
}

// JumpClientInstallerFile is the file name of the Jump Client installer
// with installer id installerID for platform:
// "jumpgate-jc-<installer-id>-<platform>.<ext>".
func JumpClientInstallerFile(installerID, platform string) string {
	return "jumpgate-jc-" + installerID + "-" + platform + "." + InstallerFileExt(platform)
}

// JumpointInstallerFile is the file name of the installer of the Jumpoint
// with code name codeName for platform:
// "jumpgate-jumpoint-<code-name>-<platform>.<ext>".
func JumpointInstallerFile(codeName, platform string) string {
	return "jumpgate-jumpoint-" + codeName + "-" + platform + "." + InstallerFileExt(platform)
}

// GenericInstallerFile is the file name of the generic Jump Client
// installer (no key info built in) for platform:
// "jumpgate-jc-generic-<platform>.<ext>".
func GenericInstallerFile(platform string) string {
	return "jumpgate-jc-generic-" + platform + "." + InstallerFileExt(platform)
}
