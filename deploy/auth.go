package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/jsii-runtime-go"
)

// AdminGroup names the user pool group whose members may change the
// catalog. It is also handed to the binary (SHOP_AUTH_ADMIN_GROUP) so the
// group and the check cannot drift apart.
const AdminGroup = "admin"

// addIdentity defines the user pool that signs the shop's access tokens,
// the public app client users sign in through and the admin group. The
// binary (SHOP_AUTH=oidc) and, on Lambda, the HTTP API's JWT authorizer both
// verify tokens against Issuer and the client's id.
func (s *ShopStack) addIdentity() {
	s.UserPool = awscognito.NewUserPool(s.Stack, jsii.String("UserPool"), &awscognito.UserPoolProps{
		// Email only: Cognito then generates each user's user name, which
		// is what access tokens carry in their username claim.
		SignInAliases:       &awscognito.SignInAliases{Email: jsii.Bool(true)},
		SignInCaseSensitive: jsii.Bool(false),
		// Operators create users (see the README); nobody signs up alone.
		SelfSignUpEnabled: jsii.Bool(false),
		AccountRecovery:   awscognito.AccountRecovery_EMAIL_ONLY,
		// The pool holds customer identities, which baskets and orders are
		// keyed by: a stack deletion must not drop them (as with the tables).
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	s.UserPoolClient = s.UserPool.AddClient(jsii.String("AppClient"), &awscognito.UserPoolClientOptions{
		// A public client (CLI, browser): a secret could not be kept.
		GenerateSecret: jsii.Bool(false),
		AuthFlows: &awscognito.AuthFlow{
			UserPassword: jsii.Bool(true),
			UserSrp:      jsii.Bool(true),
		},
		// No hosted UI or domain, so the OAuth flows CDK would enable with
		// a placeholder callback URL have nothing to serve.
		DisableOAuth:               jsii.Bool(true),
		PreventUserExistenceErrors: jsii.Bool(true),
	})
	s.AdminGroup = s.UserPool.AddGroup(jsii.String("AdminGroup"), &awscognito.UserPoolGroupOptions{
		GroupName:   jsii.String(AdminGroup),
		Description: jsii.String("May create, update and delete products"),
	})
	// The iss claim of the pool's tokens, built as Cognito writes it (and as
	// CDK's own user pool authorizer does); the binary and the API's
	// authorizer both compare tokens against this one string.
	s.Issuer = "https://cognito-idp." + *s.Stack.Region() + ".amazonaws.com/" + *s.UserPool.UserPoolId()

	awscdk.NewCfnOutput(s.Stack, jsii.String("UserPoolId"), &awscdk.CfnOutputProps{
		Value:       s.UserPool.UserPoolId(),
		Description: jsii.String("Cognito user pool holding the shop's users"),
	})
	awscdk.NewCfnOutput(s.Stack, jsii.String("UserPoolClientId"), &awscdk.CfnOutputProps{
		Value:       s.UserPoolClient.UserPoolClientId(),
		Description: jsii.String("App client to sign in through (USER_PASSWORD_AUTH or USER_SRP_AUTH)"),
	})
}

// authEnvironment is how the binary verifies the pool's access tokens.
func (s *ShopStack) authEnvironment() map[string]string {
	return map[string]string{
		"SHOP_AUTH":             "oidc",
		"SHOP_AUTH_ISSUER":      s.Issuer,
		"SHOP_AUTH_CLIENT_IDS":  *s.UserPoolClient.UserPoolClientId(),
		"SHOP_AUTH_ADMIN_GROUP": AdminGroup,
	}
}
