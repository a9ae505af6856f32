// A gophercloud (Debian's golang-github-gophercloud-gophercloud-dev, 0.12)
// client for tests/integration/clients.sh: it prints what a Go program,
// and Terraform's OpenStack provider built on gophercloud, gets of a
// refusal.
//
//	gophercloud_client IMAGE_URL create NAME VISIBILITY IMAGE_SOURCE
//	gophercloud_client IMAGE_URL update ID DESCRIPTION
//	gophercloud_client IMAGE_URL upload ID FILE
//
// Credentials come from OS_AUTH_URL, OS_USERNAME, OS_PASSWORD,
// OS_PROJECT_NAME (domain Default). Exit 1 with the error printed.
package main

import (
	"fmt"
	"os"

	"github.com/gophercloud/gophercloud"
	"github.com/gophercloud/gophercloud/openstack"
	"github.com/gophercloud/gophercloud/openstack/imageservice/v2/imagedata"
	"github.com/gophercloud/gophercloud/openstack/imageservice/v2/images"
)

func fail(err error) {
	fmt.Println("error:", err.Error())
	// gophercloud's text for a 503 is fixed and hides the body; the
	// body is there for a program that asks for it
	if e, ok := err.(gophercloud.ErrDefault503); ok {
		fmt.Println("body:", string(e.Body))
	}
	os.Exit(1)
}

func main() {
	opts := gophercloud.AuthOptions{
		IdentityEndpoint: os.Getenv("OS_AUTH_URL"),
		Username:         os.Getenv("OS_USERNAME"),
		Password:         os.Getenv("OS_PASSWORD"),
		TenantName:       os.Getenv("OS_PROJECT_NAME"),
		DomainName:       "Default",
	}
	provider, err := openstack.AuthenticatedClient(opts)
	if err != nil {
		fail(err)
	}
	client, err := openstack.NewImageServiceV2(provider, gophercloud.EndpointOpts{})
	if err != nil {
		fail(err)
	}
	client.Endpoint = os.Args[1] + "/v2/"
	client.ResourceBase = client.Endpoint
	switch os.Args[2] {
	case "create":
		vis := images.ImageVisibility(os.Args[4])
		img, err := images.Create(client, images.CreateOpts{Name: os.Args[3], Visibility: &vis,
			ContainerFormat: "bare", DiskFormat: "raw",
			Properties: map[string]string{"image_source": os.Args[5]}}).Extract()
		if err != nil {
			fail(err)
		}
		fmt.Println("created", img.ID)
	case "update":
		_, err := images.Update(client, os.Args[3], images.UpdateOpts{
			images.UpdateImageProperty{Op: images.AddOp, Name: "description", Value: os.Args[4]}}).Extract()
		if err != nil {
			fail(err)
		}
		fmt.Println("updated")
	case "upload":
		f, err := os.Open(os.Args[4])
		if err != nil {
			fail(err)
		}
		if err := imagedata.Upload(client, os.Args[3], f).ExtractErr(); err != nil {
			fail(err)
		}
		fmt.Println("uploaded")
	}
}
