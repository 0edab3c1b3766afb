// Package cognitotest drives a real cognito-local emulator through
// aws-sdk-go-v2's service/cognitoidentityprovider: it creates user pools, app
// clients, groups and users, and signs users in for their tokens, so that
// tests of the token verifier and of the API see what Cognito hands out.
//
// scripts/test.sh starts cognito-local and sets SHOP_TEST_COGNITO_ENDPOINT;
// pass testenv.CognitoEndpoint(t) as the endpoint.
//
// Two facts about cognito-local that tests must not forget: it signs the
// tokens of every pool with one and the same key (kid "CognitoLocal"), so
// only iss tells pools apart; and its OpenID discovery document names
// localhost:9229 whatever port it runs on, so use JWKSURL, not discovery.
package cognitotest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/serverless-shop/shop/platform/testenv"
)

// AdminGroup is the group NewPool creates and User adds admins to.
const AdminGroup = "admin"

// Pool is a user pool on cognito-local with one app client and the admin
// group; NewPool deletes it when the test ends.
type Pool struct {
	// ID is the user pool's id, such as "local_2jx8Rm1b".
	ID string
	// ClientID is the app client whose users sign in with a password.
	ClientID string
	// Issuer is the iss of the pool's tokens: the endpoint, "/", the pool id.
	Issuer string
	// JWKSURL serves the pool's signing keys as a JSON Web Key Set.
	JWKSURL string
	// Client is the SDK client NewPool used, for calls the helpers lack.
	Client *cip.Client
}

// User is a signed-in user of a Pool.
type User struct {
	// Email is what the user signs in with.
	Email string
	// Username is the name Cognito generated for the user, which is also
	// the access token's username claim (not the email: the pool uses email
	// as an alias).
	Username string
	// AccessToken is the access token (token_use "access") from signing in.
	AccessToken string
	// IDToken is the ID token (token_use "id") from the same sign-in.
	IDToken string
}

// NewPool creates a user pool whose users sign in with their email, an app
// client allowing USER_PASSWORD_AUTH and the group AdminGroup, and deletes
// the pool when tb ends.
func NewPool(tb testing.TB, endpoint string) *Pool {
	tb.Helper()
	ctx := tb.Context()
	client := cip.NewFromConfig(testenv.AWSConfig(tb, endpoint))

	created, err := client.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:           aws.String(testenv.UniqueName(tb, "pool")),
		UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
	})
	if err != nil {
		tb.Fatalf("cognitotest: CreateUserPool: %v", err)
	}
	id := aws.ToString(created.UserPool.Id)
	tb.Cleanup(func() {
		_, err := client.DeleteUserPool(context.WithoutCancel(ctx), &cip.DeleteUserPoolInput{UserPoolId: aws.String(id)})
		if err != nil {
			tb.Errorf("cognitotest: DeleteUserPool %s: %v", id, err)
		}
	})

	app, err := client.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(id),
		ClientName: aws.String("shop-test"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		tb.Fatalf("cognitotest: CreateUserPoolClient: %v", err)
	}
	if _, err := client.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(id), GroupName: aws.String(AdminGroup)}); err != nil {
		tb.Fatalf("cognitotest: CreateGroup %s: %v", AdminGroup, err)
	}

	issuer := strings.TrimRight(endpoint, "/") + "/" + id
	return &Pool{
		ID:       id,
		ClientID: aws.ToString(app.UserPoolClient.ClientId),
		Issuer:   issuer,
		JWKSURL:  issuer + "/.well-known/jwks.json",
		Client:   client,
	}
}

// User creates a confirmed user with a permanent password, adds it to
// AdminGroup when admin is true, and signs it in.
func (p *Pool) User(tb testing.TB, email, password string, admin bool) User {
	tb.Helper()
	ctx := tb.Context()
	created, err := p.Client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId:    aws.String(p.ID),
		Username:      aws.String(email),
		MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email)},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	})
	if err != nil {
		tb.Fatalf("cognitotest: AdminCreateUser %s: %v", email, err)
	}
	// A permanent password confirms the user, so signing in answers with
	// tokens rather than a NEW_PASSWORD_REQUIRED challenge.
	_, err = p.Client.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(p.ID),
		Username:   aws.String(email),
		Password:   aws.String(password),
		Permanent:  true,
	})
	if err != nil {
		tb.Fatalf("cognitotest: AdminSetUserPassword %s: %v", email, err)
	}
	if admin {
		_, err := p.Client.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
			UserPoolId: aws.String(p.ID),
			Username:   aws.String(email),
			GroupName:  aws.String(AdminGroup),
		})
		if err != nil {
			tb.Fatalf("cognitotest: AdminAddUserToGroup %s: %v", email, err)
		}
	}
	u := p.SignIn(tb, email, password)
	u.Username = aws.ToString(created.User.Username)
	return u
}

// SignIn signs a confirmed user in with USER_PASSWORD_AUTH and returns its
// tokens; Username is left empty (User fills it in). It fails the test on a
// wrong password or on any challenge.
func (p *Pool) SignIn(tb testing.TB, email, password string) User {
	tb.Helper()
	out, err := p.Client.InitiateAuth(tb.Context(), &cip.InitiateAuthInput{
		ClientId:       aws.String(p.ClientID),
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		tb.Fatalf("cognitotest: InitiateAuth %s: %v", email, err)
	}
	if out.ChallengeName != "" || out.AuthenticationResult == nil {
		tb.Fatalf("cognitotest: InitiateAuth %s: got challenge %q, want tokens", email, out.ChallengeName)
	}
	return User{
		Email:       email,
		AccessToken: aws.ToString(out.AuthenticationResult.AccessToken),
		IDToken:     aws.ToString(out.AuthenticationResult.IdToken),
	}
}

// DecodeUnverified returns a JWT's header and claims without checking its
// signature or anything else: for looking at tokens in tests, never for
// trusting them.
func DecodeUnverified(tb testing.TB, token string) (header, claims map[string]any) {
	tb.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		tb.Fatalf("cognitotest: token has %d parts, want 3", len(parts))
	}
	return decodePart(tb, "header", parts[0]), decodePart(tb, "claims", parts[1])
}

func decodePart(tb testing.TB, what, part string) map[string]any {
	tb.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		tb.Fatalf("cognitotest: token %s: %v", what, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatalf("cognitotest: token %s: %v", what, err)
	}
	return m
}
