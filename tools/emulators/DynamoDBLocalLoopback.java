// DynamoDBLocalLoopback starts DynamoDB Local bound to 127.0.0.1 only.
//
// DynamoDB Local has no host flag: its ServerRunner always listens on every
// interface. This launcher builds the server exactly as ServerRunner does
// (same command-line flags), then pins its Jetty connectors to loopback
// before starting it, so tests never expose the emulator to the network.
//
// Run in Java source-file mode with DynamoDBLocal.jar on the class path:
//   java -Djava.library.path=<dir>/DynamoDBLocal_lib -cp <dir>/DynamoDBLocal.jar \
//     DynamoDBLocalLoopback.java -inMemory -port N -disableTelemetry
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public class DynamoDBLocalLoopback {
    public static void main(String[] args) throws Exception {
        String host = System.getProperty("dynamodblocal.host", "127.0.0.1");
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field f = DynamoDBProxyServer.class.getDeclaredField("server");
        f.setAccessible(true);
        Server server = (Server) f.get(proxy);
        Connector[] connectors = server.getConnectors();
        if (connectors.length == 0) {
            throw new IllegalStateException("DynamoDB Local built no connectors; cannot bind to " + host);
        }
        for (Connector c : connectors) {
            if (!(c instanceof ServerConnector)) {
                throw new IllegalStateException("unexpected connector type " + c.getClass() + "; cannot bind to " + host);
            }
            ((ServerConnector) c).setHost(host);
        }
        proxy.start();
        System.out.println("DynamoDB Local listening on " + host);
        proxy.join();
    }
}
