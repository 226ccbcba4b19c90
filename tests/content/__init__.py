"""The content in content/vi and `caunoi content check`: what fails the build when content is incomplete."""
